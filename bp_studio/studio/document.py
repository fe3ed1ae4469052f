"""The document a studio works on, and how its pieces are built from each other (Qt-free).

A document (``Document``) is: the ``Settings``, the data (``DataSpec`` + imported/drawn rows
-> ``PreparedData``), the ``Network`` built from both, the ``Trainer`` that trains it on the
data, and the run's record: its ``TrainingHistory`` (rewind), ``Evaluations``, ``Change``
list, layer health and the earlier runs kept for comparing. ``DocumentState`` is a copy of all
of it, for Undo and Redo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from bp_studio.data.examples import EXAMPLES, Dataset, ExampleNetwork
from bp_studio.data.source import DataSpec, PreparedData
from bp_studio.engine import (
    Network,
    Regularization,
    Trainer,
    TrainerState,
    TrainingHistory,
    forward,
)
from bp_studio.studio.changes import Change
from bp_studio.studio.diagnostics import DiagnosticsLog
from bp_studio.studio.errors import StudioError
from bp_studio.studio.evaluation import Evaluation, Evaluations, evaluate
from bp_studio.studio.moment import Moment, moment_from_trainer
from bp_studio.studio.notation import output_names
from bp_studio.studio.runs import RunArchive, RunCurve, run_label
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


class Document:
    """What a studio works on: the settings, the data, the network and its trainer, and the
    run's record (history, evaluations, changes, layer health, earlier runs kept for
    comparing). Plain state and the operations that keep its parts consistent; commands,
    events, threads and undo are the ``Studio``'s.

    ``notice(text)`` says what the user should know (data that does not fit the network).
    """

    def __init__(
        self,
        settings: Settings,
        data_spec: DataSpec,
        data: PreparedData,
        notice: Callable[[str], None],
    ) -> None:
        self.notice = notice
        self.settings = settings
        self.data_spec = data_spec
        self.rows: Dataset | None = None
        """Imported or drawn rows (``None`` for built-in data)."""
        self.data: PreparedData | None = data
        self.network: Network = build_network(settings, data)
        self.trainer: Trainer | None = None
        self.history = TrainingHistory()
        self.evaluations = Evaluations()
        self.evaluation: Evaluation | None = None
        """Loss and accuracy on all the data for the weights now."""
        self.changes: list[Change] = []
        self.diagnostics = DiagnosticsLog()
        self.runs = RunArchive()
        self.new_run(self.network)

    def require_trainer(self) -> Trainer:
        if self.trainer is None:
            raise StudioError(
                "there is no data that fits this network: open a CSV data file to train it"
            )
        return self.trainer

    def require_data(self) -> PreparedData:
        if self.data is None:
            raise StudioError("there is no data: open a CSV data file")
        return self.data

    # -- runs ---------------------------------------------------------------------------------

    def new_run(self, network: Network) -> None:
        """Make ``network`` the document's, with a fresh trainer, history, evaluations,
        changes and health (no trainer when the data does not fit: ``notice`` says so)."""
        self.network = network
        self.trainer = None
        self.run_data = self.data.raw.name if self.data is not None else None
        """The name of the data set this run trains on (its label when it is kept)."""
        if self.data is not None:
            try:
                self.trainer = make_trainer(network, self.data, self.settings)
            except ValueError as exc:
                self.notice(f"The data does not fit this network: {exc}")
        self.history = TrainingHistory()
        self.evaluations = Evaluations()
        self.evaluation = None
        self.changes = []
        self.diagnostics = DiagnosticsLog()
        if self.trainer is not None:
            self.history.record(self.trainer)
            self.evaluate()

    def rebuild(self) -> bool:
        """A new network from the settings and the data, the run that ends kept for comparing;
        ``True`` if a run was kept."""
        if self.data is None:
            return False
        kept = self.keep_run()
        self.new_run(build_network(self.settings, self.data))
        return kept

    def keep_run(self) -> bool:
        """The run that ends goes to the compared runs (if it trained at all)."""
        trainer = self.trainer
        if trainer is None or trainer.step_count == 0:
            return False
        step_losses, epoch_losses, epoch_end_steps = self.losses()
        self.runs.keep(
            RunCurve(
                run_label(
                    self.settings,
                    self.network,
                    trainer.step_count,
                    self.changes,
                    self.run_data,  # the data it trained on: new data may be in place now
                ),
                step_losses,
                epoch_end_steps,
                epoch_losses,
            )
        )
        return True

    def losses(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the loss of every step, the mean loss of every completed epoch and the
        step each epoch ended at."""
        trainer = self.trainer
        if trainer is None:
            return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
        return (
            np.array(trainer.step_losses, dtype=np.float64),
            np.array(trainer.epoch_losses, dtype=np.float64),
            np.array(trainer.epoch_end_steps, dtype=np.int64),
        )

    # -- measuring and recording --------------------------------------------------------------

    def evaluate(self) -> None:
        """Loss and accuracy on all the data now, kept in the evaluations (not when the
        trainer stands before the last one measured: the run went back in time)."""
        trainer, data = self.trainer, self.data
        if trainer is None or data is None:
            self.evaluation = None
            return
        evaluation = evaluate(self.network, data, self.network.loss_name)
        self.evaluation = evaluation
        steps = self.evaluations.steps
        if not steps or trainer.step_count >= steps[-1]:
            self.evaluations.add(trainer.step_count, evaluation)

    def record_change_at_boundary(self) -> None:
        """After a change between steps: record it in the history (a keyframe), dropping a
        recorded future, and that future's changes, evaluations and health."""
        trainer = self.require_trainer()
        step = trainer.step_count
        self.history.record(trainer)
        self.changes = [c for c in self.changes if c.step <= step]
        self.diagnostics.truncate(step)
        latest = self.evaluations.latest()
        if latest is not None and self.evaluations.steps[-1] > step:
            kept = Evaluations()
            for s, e in zip(self.evaluations.steps, self.evaluations.items):
                if s <= step:
                    kept.add(s, e)
            self.evaluations = kept

    # -- what the views draw ------------------------------------------------------------------

    def output_names(self) -> tuple[str, ...] | None:
        """What each output node stands for, for people (class names, target names)."""
        if self.data is None:
            return None
        return output_names(self.data.train, self.network.loss_name)

    def moment(self, sample: int, row: int) -> Moment:
        """The step in progress (nodes showing batch sample ``sample``), the last whole step,
        or between steps a preview: the forward pass of training row ``row``."""
        names = self.output_names()
        trainer = self.trainer
        if trainer is None:
            return Moment(network=self.network, output_names=names)
        moment = replace(moment_from_trainer(trainer, sample), output_names=names)
        if moment.phase is not None or moment.update is not None:
            return moment
        row = min(row, trainer.samples - 1)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            preview = forward(self.network, trainer.X[row : row + 1])
        return replace(moment, forward_layers=preview.layers, batch=np.array([row]), sample=0)

    # -- undo ---------------------------------------------------------------------------------

    def capture(self, label: str) -> DocumentState:
        """A copy of the whole document (for Undo and Redo)."""
        trainer = self.trainer
        return DocumentState(
            label=label,
            settings=self.settings,
            data_spec=self.data_spec,
            rows=self.rows,
            data=self.data,
            network=self.network.copy(),
            trainer_state=trainer.get_state() if trainer is not None else None,
            pieces=pieces_done(trainer),
            history=self.history.copy(),
            evaluations=self.evaluations.copy(),
            evaluation=self.evaluation,
            changes=list(self.changes),
            diagnostics=self.diagnostics.copy(),
            runs=self.runs.copy(),
        )

    def restore(self, state: DocumentState) -> None:
        """Make ``state`` the document (its objects become the live ones)."""
        network = state.network
        trainer = None
        if state.trainer_state is not None and state.data is not None:
            trainer = make_trainer(network, state.data, state.settings)
            trainer.set_state(state.trainer_state)
            redo_pieces(trainer, state.pieces)
            state.history.attach(trainer)
        self.settings = state.settings
        self.data_spec, self.rows, self.data = state.data_spec, state.rows, state.data
        self.run_data = self.data.raw.name if self.data is not None else None
        self.network, self.trainer = network, trainer
        self.history = state.history
        self.evaluations = state.evaluations
        self.evaluation = state.evaluation
        self.changes = list(state.changes)
        self.diagnostics = state.diagnostics
        self.runs = state.runs
