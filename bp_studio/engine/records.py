"""Immutable records of the four phases of a training step: what the window draws and explains.

Shapes: ``n`` samples in the batch; layer ``l`` has ``units`` outputs and ``inputs`` inputs;
weights are ``(units, inputs)``; samples are rows. Every array in a record is a read-only
copy, so a record stays true after the network moves on.

1. forward   (``ForwardRecord``, one ``LayerForward`` per layer, input to output):
   ``z_l = a_{l-1} W_l^T + b_l``,  ``a_l = f_l(z_l)``,  ``a_0 = X``
2. error     (``ErrorRecord``): targets ``t``, outputs ``o``, ``error = t - o``, the loss
3. backward  (``BackwardRecord``, one ``LayerBackward`` per layer, output to input):
   ``delta_L = dL_s/dz_L`` from the loss; ``delta_l = f'(z_l) * (delta_{l+1} W_{l+1})``;
   ``dL/dW_l = (1/n) delta_l^T a_{l-1} + d penalty/dW_l``;  ``dL/db_l = (1/n) sum_s delta_l[s]``
4. update    (``UpdateRecord``): parameters before, the step added, parameters after
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import overload

import numpy as np
from numpy.typing import ArrayLike


@overload
def frozen_array(values: None) -> None: ...
@overload
def frozen_array(values: ArrayLike) -> np.ndarray: ...
@overload
def frozen_array(values: ArrayLike | None) -> np.ndarray | None: ...
def frozen_array(values: ArrayLike | None) -> np.ndarray | None:
    """A read-only float64 copy of ``values`` (``None`` stays ``None``)."""
    if values is None:
        return None
    out = np.array(values, dtype=np.float64, copy=True)
    out.flags.writeable = False
    return out


class Phase(IntEnum):
    """The seed's four steps, numbered as the window's indicator shows them."""

    FORWARD = 1
    ERROR = 2
    BACKWARD = 3
    UPDATE = 4

    @property
    def title(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class LayerForward:
    """Layer ``index`` of the forward pass: ``z = inputs @ W.T + b`` and ``a = f(z)``.

    ``inputs`` is ``a_{l-1}`` ``(n, inputs)``; ``z`` and ``a`` are ``(n, units)``.
    """

    index: int
    inputs: np.ndarray
    z: np.ndarray
    a: np.ndarray


@dataclass(frozen=True)
class ForwardRecord:
    """Phase 1: the whole forward pass of a batch ``inputs`` ``(n, inputs)``."""

    inputs: np.ndarray
    layers: tuple[LayerForward, ...]

    @property
    def outputs(self) -> np.ndarray:
        """The network's predictions ``o = a_L``, shape ``(n, outputs)``."""
        return self.layers[-1].a

    phase = Phase.FORWARD


@dataclass(frozen=True)
class ErrorRecord:
    """Phase 2: how far the outputs are from the targets.

    ``error = targets - outputs`` ``(n, outputs)`` (the seed's ``output_errors``);
    ``sample_loss[s] = L_s`` ``(n,)``; ``loss = mean_s L_s`` is the data loss;
    ``penalty`` is the regularisation term; the objective is ``total = loss + penalty``.
    """

    targets: np.ndarray
    outputs: np.ndarray
    error: np.ndarray
    sample_loss: np.ndarray
    loss: float
    penalty: float
    loss_name: str

    @property
    def total(self) -> float:
        return self.loss + self.penalty

    phase = Phase.ERROR


@dataclass(frozen=True)
class LayerBackward:
    """Layer ``index`` of the backward pass.

    - ``delta``: ``dL_s/dz`` for each sample ``(n, units)`` (no 1/n factor);
    - ``grad_output``: ``dL_s/da`` ``(n, units)``: ``o - t`` at an mse output layer,
      ``delta_{l+1} @ W_{l+1}`` (``sum_k w_kj delta_k``) in a hidden layer; ``None`` where the
      loss and the output activation are differentiated together (softmax or sigmoid with
      cross-entropy, where ``delta = o - t``);
    - ``derivative``: ``f'(z)`` ``(n, units)``, ``None`` in that same combined case;
    - ``grad_weight``: ``dL/dW`` ``(units, inputs)``, the batch mean plus the penalty gradient
      ``penalty_grad_weight`` (``None`` without regularisation);
    - ``grad_bias``: ``dL/db`` ``(units,)``, ``None`` for a layer without bias.
    """

    index: int
    delta: np.ndarray
    grad_output: np.ndarray | None
    derivative: np.ndarray | None
    grad_weight: np.ndarray
    grad_bias: np.ndarray | None
    penalty_grad_weight: np.ndarray | None = None


@dataclass(frozen=True)
class BackwardRecord:
    """Phase 3: every layer's gradients, in layer order (computed output to input).

    ``gradient`` is the flat vector of all of them, in the order of ``Network.parameters``.
    """

    layers: tuple[LayerBackward, ...]
    gradient: np.ndarray

    phase = Phase.BACKWARD


@dataclass(frozen=True)
class Parameters:
    """One layer's ``weight`` ``(units, inputs)`` and ``bias`` ``(units,)`` or ``None``."""

    weight: np.ndarray
    bias: np.ndarray | None


@dataclass(frozen=True)
class UpdateRecord:
    """Phase 4: ``after = before + step`` for every layer, exactly.

    ``step_number`` counts updates from 1; ``optimizer_state_before`` and ``_after`` hold the
    optimiser's flat vectors (momentum velocity, Adam's ``m`` and ``v``) and its count ``t``.
    """

    step_number: int
    optimizer: str
    lr: float
    before: tuple[Parameters, ...]
    step: tuple[Parameters, ...]
    after: tuple[Parameters, ...]
    optimizer_state_before: dict = field(repr=False)
    optimizer_state_after: dict = field(repr=False)

    phase = Phase.UPDATE


@dataclass(frozen=True)
class StepRecord:
    """One whole training step on one batch: the four phase records together.

    ``batch`` holds the row numbers of the samples in the training data ``(n,)``;
    ``epoch`` counts from 1 (the epoch this step belongs to).
    """

    batch: np.ndarray
    epoch: int
    forward: ForwardRecord
    error: ErrorRecord
    backward: BackwardRecord
    update: UpdateRecord
