"""What the window shows at one moment, and what the user has selected (plain data, no Qt).

The canvas and the explanation panel draw a ``Moment``; the studio builds it from the
trainer after every command. Node layers are counted as the user sees columns: node layer 0
is the inputs, node layer ``l`` (1..L) holds the units of network layer ``l - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np

from bp_studio.engine import (
    ErrorRecord,
    LayerBackward,
    LayerForward,
    Network,
    Phase,
    StepProgress,
    Trainer,
    UpdateRecord,
)


@dataclass(frozen=True)
class Selection:
    """A selected node, edge or bias.

    - ``kind="node"``: ``layer`` is the node layer (0 = inputs), ``unit`` the node in it;
    - ``kind="edge"``: ``layer`` is the network layer (0-based), the weight
      ``weight[unit, input]`` of that layer;
    - ``kind="bias"``: ``layer`` is the network layer, ``bias[unit]``.
    """

    kind: str
    layer: int
    unit: int
    input: int | None = None


@dataclass(frozen=True)
class Moment:
    """The state of one training step as far as it has gone, for drawing.

    ``phase`` is the phase of the piece of work done last (``None``: nothing of the current
    step yet); ``active_layer`` the network layer it touched (``None`` for error/update or idle).
    ``forward_layers`` are the forward records so far (input to output), ``backward_layers``
    the backward records so far by network layer index; ``update`` is set once the step's
    update is done. ``sample`` is the row of the batch whose values the nodes show;
    ``batch`` the training-data row numbers of the batch (``None`` when idle).
    ``lr`` and ``optimizer`` are the settings the update used or will use.
    ``output_names`` says what each output unit stands for (class names such as ``0`` .. ``9``
    or ``setosa``, see ``notation.output_names``; ``None``: not known).
    """

    network: Network
    phase: Phase | None = None
    active_layer: int | None = None
    forward_layers: tuple[LayerForward, ...] = ()
    error: ErrorRecord | None = None
    backward_layers: dict[int, LayerBackward] = field(default_factory=dict)
    update: UpdateRecord | None = None
    sample: int = 0
    batch: np.ndarray | None = None
    step_number: int = 0
    epoch: int = 0
    lr: float = 0.5
    optimizer: str = "sgd"
    regularization: str = "none"
    regularization_rate: float = 0.0
    output_names: tuple[str, ...] | None = None

    @property
    def batch_size(self) -> int:
        return 0 if self.batch is None else len(self.batch)

    def node_value(self, node_layer: int, unit: int) -> float | None:
        """The value a node shows: its activation in forward/error/update, delta in backward.

        Inputs (node layer 0) show the input value of the chosen sample.
        """
        values = self.column_values(node_layer)
        return None if values is None else float(values[unit])

    def column_values(self, node_layer: int) -> np.ndarray | None:
        """The values of every node of ``node_layer`` (``node_value``), ``(units,)``; ``None``
        while that column has none (not computed yet in this step)."""
        if self.phase == Phase.BACKWARD and node_layer >= 1:
            record = self.backward_layers.get(node_layer - 1)
            if record is not None:
                return record.delta[self.sample]
        if node_layer == 0:
            return self.forward_layers[0].inputs[self.sample] if self.forward_layers else None
        if node_layer - 1 < len(self.forward_layers):
            return self.forward_layers[node_layer - 1].a[self.sample]
        return None

    def shows_delta(self, node_layer: int) -> bool:
        """Whether ``node_layer``'s nodes show ``δ = ∂L/∂z`` (backward phase, computed)."""
        return (
            self.phase == Phase.BACKWARD
            and node_layer >= 1
            and (node_layer - 1) in self.backward_layers
        )

    def raw_input(self, unit: int) -> float | None:
        """Input ``unit`` of the shown sample before the network's normalisation.

        ``x_raw = x * scale + offset`` (``Normalization``); the value itself without one;
        ``None`` before the forward pass.
        """
        value = self.node_value(0, unit)
        norm = self.network.normalization
        if value is None or norm is None:
            return value
        return float(value * norm.scale[unit] + norm.offset[unit])

    @property
    def normalization_kind(self) -> str | None:
        """``standardize``, ``minmax`` or ``None``: how the inputs the nodes show were scaled."""
        norm = self.network.normalization
        return None if norm is None else norm.kind


class _TrainerFields(TypedDict):
    """The fields of a ``Moment`` that come from the trainer and its settings alone."""

    output_names: tuple[str, ...] | None
    network: Network
    lr: float
    optimizer: str
    regularization: str
    regularization_rate: float
    step_number: int
    epoch: int


def moment_from_trainer(
    trainer: Trainer,
    sample: int = 0,
    show_last_step: bool = True,
    output_names: tuple[str, ...] | None = None,
) -> Moment:
    """The moment of ``trainer``: its step in progress, else (optionally) its last whole step."""
    progress: StepProgress | None = trainer.progress
    common = _TrainerFields(
        output_names=output_names,
        network=trainer.network,
        lr=trainer.lr,
        optimizer=trainer.optimizer.name,
        regularization=trainer.regularization.kind,
        regularization_rate=trainer.regularization.rate,
        step_number=trainer.step_count,
        epoch=trainer.epoch,
    )
    if progress is not None and progress.forward_layers:
        sample = min(sample, len(progress.batch) - 1)
        if progress.backward_layers:
            phase, active = Phase.BACKWARD, progress.backward_layers[-1].index
        elif progress.error is not None:
            phase, active = Phase.ERROR, None
        else:
            phase, active = Phase.FORWARD, progress.forward_layers[-1].index
        return Moment(
            phase=phase,
            active_layer=active,
            forward_layers=tuple(progress.forward_layers),
            error=progress.error,
            backward_layers={r.index: r for r in progress.backward_layers},
            sample=sample,
            batch=progress.batch,
            **common,
        )
    last = trainer.last_step
    if show_last_step and last is not None and last.update.step_number == trainer.step_count:
        sample = min(sample, len(last.batch) - 1)
        return Moment(
            phase=Phase.UPDATE,
            forward_layers=last.forward.layers,
            error=last.error,
            backward_layers={r.index: r for r in last.backward.layers},
            update=last.update,
            sample=sample,
            batch=last.batch,
            **common,
        )
    return Moment(**common)
