"""The pieces of a studio document and how they are built from each other (Qt-free).

A document is: the ``Settings``, the data (``DataSpec`` + imported/drawn rows ->
``PreparedData``), the ``Network`` built from both, the ``Trainer`` that trains it on the data,
the run's ``TrainingHistory`` (rewind), its ``Evaluations`` and its ``Change`` list.
``DocumentState`` is a copy of all of it, for Undo and Redo.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bp_studio.data.examples import EXAMPLES, Dataset, ExampleNetwork
from bp_studio.data.source import DataSpec, PreparedData
from bp_studio.engine import Network, Regularization, Trainer, TrainerState, TrainingHistory
from bp_studio.studio.changes import Change
from bp_studio.studio.diagnostics import DiagnosticsLog
from bp_studio.studio.evaluation import Evaluation, Evaluations
from bp_studio.studio.runs import RunArchive
from bp_studio.studio.settings import HiddenLayer, Settings


def build_network(settings: Settings, data: PreparedData) -> Network:
    """A new network for ``data`` with the architecture of ``settings``, drawn from its seed.

    Inputs: the data's input count (derived features included); outputs: one per target
    column, or one per class for a one-hot loss. The data's input normalisation and input
    names go into the network, so ``predict`` takes raw inputs.
    """
    train = data.train
    sizes = [train.inputs] + [h.units for h in settings.hidden]
    sizes.append(train.outputs_for_loss(settings.loss))
    network = Network.create(
        sizes,
        [h.activation for h in settings.hidden] + [settings.output_activation],
        settings.loss,
        bias=[h.bias for h in settings.hidden] + [settings.output_bias],
        init=settings.init,
        seed=settings.seed,
    )
    network.normalization = data.normalization
    network.input_names = train.input_names
    return network


def example_settings(settings: Settings, example: ExampleNetwork) -> Settings:
    """``settings`` with the architecture and training an example is made for."""
    hidden = tuple(
        HiddenLayer(units, activation, bias)
        for units, activation, bias in zip(
            example.sizes[1:-1], example.activations[:-1], example.bias[:-1]
        )
    )
    return replace(
        settings,
        hidden=hidden,
        output_activation=example.activations[-1],
        output_bias=example.bias[-1],
        loss=example.loss,
        lr=example.lr,
        batch_size=example.batch_size,
        optimizer=example.optimizer,
        shuffle=example.shuffle,
        init=example.init,
        seed=example.seed,
    )


def make_trainer(network: Network, data: PreparedData, settings: Settings) -> Trainer:
    """A trainer of ``network`` on the training part of ``data`` with the training settings.

    ``ValueError`` when the data does not fit the network.
    """
    return Trainer(
        network,
        data.train.X,
        data.train.targets_for_loss(network.loss_name),
        lr=settings.lr,
        batch_size=settings.batch_size,
        shuffle=settings.shuffle,
        optimizer=settings.optimizer,
        seed=settings.seed,
        regularization=Regularization(settings.regularization, settings.regularization_rate),
    )


def fits(network: Network, dataset: Dataset) -> bool:
    """Whether ``network`` takes ``dataset``'s inputs and gives its targets."""
    return dataset.inputs == network.inputs and (
        dataset.outputs_for_loss(network.loss_name) == network.outputs
    )


def example_for(network: Network) -> str | None:
    """The first built-in example that fits ``network``, or ``None``."""
    return next((name for name, d in EXAMPLES.items() if fits(network, d)), None)


def settings_for_network(settings: Settings, network: Network) -> Settings:
    """``settings`` with the architecture of ``network`` (hidden layers, output, loss)."""
    return replace(
        settings,
        hidden=tuple(
            HiddenLayer(layer.units, layer.activation, layer.has_bias)
            for layer in network.layers[:-1]
        ),
        output_activation=network.layers[-1].activation,
        output_bias=network.layers[-1].has_bias,
        loss=network.loss_name,
    )


def fit_settings_to_data(settings: Settings, raw: Dataset) -> tuple[Settings, str | None]:
    """Settings whose loss and output suit ``raw``, and a sentence when they had to change.

    Classes: three or more get softmax with cross-entropy (one output per class); two classes
    (a 0/1 or two-label column) get a sigmoid output, so accuracy is shown; regression
    targets get a linear output with mse.
    """
    if raw.classes is not None and len(raw.classes) > 2:
        if settings.loss == "cross_entropy":
            return settings, None
        new = replace(settings, loss="cross_entropy", output_activation="softmax")
    elif raw.classes is not None:
        if settings.output_activation in ("sigmoid", "softmax"):
            return settings, None
        new = replace(settings, output_activation="sigmoid")
        if new.loss not in ("mse", "binary_cross_entropy"):
            new = replace(new, loss="mse")
    elif settings.loss != "mse" or settings.output_activation != "linear":
        if settings.loss == "mse" and settings.output_activation in ("tanh", "relu", "leaky_relu"):
            return settings, None
        new = replace(settings, loss="mse", output_activation="linear")
    else:
        return settings, None
    what = "classes" if raw.classes is not None else "regression targets"
    return new, (
        f"{raw.title} has {what}: loss set to {new.loss} with a {new.output_activation} "
        "output layer"
    )


@dataclass
class DocumentState:
    """A copy of a whole document (for Undo/Redo): restoring it gives back the document
    exactly, bit for bit, including the step in progress (``pieces`` pieces of work done)."""

    label: str
    settings: Settings
    data_spec: DataSpec
    rows: Dataset | None
    data: PreparedData | None
    network: Network
    trainer_state: TrainerState | None
    pieces: int
    history: TrainingHistory
    evaluations: Evaluations
    evaluation: Evaluation | None
    changes: list[Change]
    diagnostics: DiagnosticsLog = field(default_factory=DiagnosticsLog)
    runs: RunArchive = field(default_factory=RunArchive)


def pieces_done(trainer: Trainer | None) -> int:
    """How many pieces of the step in progress are done (forward layers, error, backward
    layers), so that a restored trainer can redo them on the same batch."""
    progress = trainer.progress if trainer is not None else None
    if progress is None:
        return 0
    return (
        len(progress.forward_layers) + (progress.error is not None) + len(progress.backward_layers)
    )


def redo_pieces(trainer: Trainer, pieces: int) -> None:
    """Do ``pieces`` pieces of the next step (after a restore, an edit or a setting change)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(pieces):
            trainer.next_layer()
