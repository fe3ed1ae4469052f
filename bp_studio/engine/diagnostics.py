"""Layer health: why a network is (not) learning, one figure per layer (numpy only).

For layer ``l`` with weights ``W`` ``(units, inputs)``, total inputs ``z`` and outputs ``a``
``(n, units)`` on a batch of ``n`` samples, activation ``f`` (its registry entry):

- ``grad_norm = ‖dL/dW‖_F = sqrt(sum_ji (dL/dw_ji)^2)``, the Frobenius norm of the weight
  gradient of the batch (with the regularisation penalty's gradient when one is given),
  exactly the backward pass's ``grad_weight``. Falling towards 0 from the output layer to the
  input layer is a vanishing gradient; growing, an exploding one.
- ``update_ratio = ‖ΔW‖_F / ‖W‖_F``: how far the last update moved the layer's weights,
  relative to the weights before it (``W = W_after - ΔW``). About 1e-3 is the classic rule of
  thumb; far below, the layer hardly learns; far above, training is unstable. ``inf`` when
  the weights were all 0 and moved, ``None`` before any update.
- ``saturated`` (activations that saturate: sigmoid, tanh, softplus; ``Activation.saturates``):
  the share of (sample, unit) pairs with ``|f'(z)| < 1 % of max_z |f'(z)|``
  (``SATURATION_LEVEL``; the maximum is ``Activation.max_derivative``: 0.25 for sigmoid, 1 for
  tanh). Such a unit passes less than 1 % of the gradient it could back to its weights.
- ``dead`` (activations that can die: relu, leaky_relu; ``Activation.dead_below``): the share
  of units with ``z <= 0`` for every sample: a relu unit whose output is 0 for the whole
  batch (no gradient reaches its weights), a leaky_relu unit on its slope side (1 %) for the
  whole batch.

Figures that do not apply are ``None`` (no targets: no ``grad_norm``; softmax neither
saturates nor dies in this sense). ``LayerHealth`` also holds the per-unit figures the canvas
marks. Two ways in, both cheap enough for every step boundary:

- ``layer_health(network, X, T, last_update)``: one forward pass (and one backward pass with
  targets) of the current weights on the batch ``X`` (raw inputs, as ``predict`` takes them);
- ``step_health(network, step)``: from a completed step's records, no computation but norms
  (the gradient is the one the step used, at the weights before its update).

A studio at a step boundary: after a recorded step ``step_health(network, trainer.last_step)``;
during fast play every k steps ``layer_health(network, trainer.X[rows], trainer.T[rows],
theta_now - theta_before_last_step, normalized=True)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bp_studio.engine.activations import Activation
from bp_studio.engine.network import Network
from bp_studio.engine.phases import NO_REGULARIZATION, backward, forward
from bp_studio.engine.records import StepRecord, UpdateRecord, frozen_array
from bp_studio.engine.regularization import Regularization
from bp_studio.engine.trainer import prepare_targets

SATURATION_LEVEL = 0.01
"""A unit is saturated on a sample when ``|f'(z)| < SATURATION_LEVEL * max |f'|``."""

UPDATE_RATIO_GUIDE = 1e-3
"""The rule of thumb for ``update_ratio`` (the gradient-flow view's guide line)."""


@dataclass(frozen=True)
class LayerHealth:
    """The health of network layer ``layer`` (0-based) on one batch; see the module docstring.

    - ``grad_norm``, ``update_ratio``, ``saturated``, ``dead``: the four figures (``None``
      where they do not apply);
    - ``weight_norm``: ``‖W‖_F`` of the weights the figures were taken at;
    - ``unit_saturated``: ``(units,)`` share of the samples on which each unit is saturated
      (``None`` where ``saturated`` is); ``saturated`` is its mean;
    - ``unit_dead``: ``(units,)`` bool, each unit dead on the whole batch (``None`` where
      ``dead`` is); ``dead`` is its mean;
    - ``samples``: the batch size ``n``.
    """

    layer: int
    activation: str
    units: int
    samples: int
    weight_norm: float
    grad_norm: float | None
    update_ratio: float | None
    saturated: float | None
    dead: float | None
    unit_saturated: np.ndarray | None
    unit_dead: np.ndarray | None

    @property
    def saturated_units(self) -> list[int]:
        """Units (0-based) saturated on more than half of the samples."""
        if self.unit_saturated is None:
            return []
        return [int(j) for j in np.flatnonzero(self.unit_saturated > 0.5)]

    @property
    def dead_units(self) -> list[int]:
        """Units (0-based) dead on the whole batch."""
        if self.unit_dead is None:
            return []
        return [int(j) for j in np.flatnonzero(self.unit_dead)]


def saturation(activation: Activation, z: np.ndarray, a: np.ndarray) -> np.ndarray | None:
    """``(n, units)`` bool: ``|f'(z)| < SATURATION_LEVEL * max |f'|``; ``None`` if ``f`` does not
    saturate or has no elementwise derivative."""
    derivative, max_derivative = activation.derivative, activation.max_derivative
    if not activation.saturates or derivative is None or max_derivative is None:
        return None
    slope = np.abs(derivative(z, a))
    return slope < SATURATION_LEVEL * max_derivative


def dead_units(activation: Activation, z: np.ndarray) -> np.ndarray | None:
    """``(units,)`` bool: ``z <= dead_below`` for every sample; ``None`` if ``f`` cannot die."""
    if activation.dead_below is None:
        return None
    return np.all(z <= activation.dead_below, axis=0)


def update_ratios(network: Network, last_update: UpdateRecord | np.ndarray) -> list[float]:
    """``‖ΔW‖_F / ‖W_before‖_F`` per layer (weights only, biases left out).

    ``last_update`` is an ``UpdateRecord`` (its ``before`` and ``step``), or the flat step
    ``theta_after - theta_before`` in the order of ``network.parameters``, taken to have been
    added to the network's current parameters (``W_before = W_now - ΔW``).
    """
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    if isinstance(last_update, UpdateRecord):
        pairs = [(b.weight, s.weight) for b, s in zip(last_update.before, last_update.step)]
    else:
        step = np.asarray(last_update, dtype=np.float64)
        if step.shape != network.parameters.shape:
            raise ValueError(
                f"last_update has {step.size} values, the network has "
                f"{network.parameters.size} parameters"
            )
        for name, where, shape in network.parameter_slices():
            if name.endswith(".weight"):
                delta = step[where].reshape(shape)
                layer = network.layers[int(name.split(".")[1])]
                pairs.append((layer.weight - delta, delta))
    if len(pairs) != len(network.layers):
        raise ValueError(
            f"last_update has {len(pairs)} layers, the network has {len(network.layers)}"
        )
    ratios = []
    for before, delta in pairs:
        moved, size = float(np.linalg.norm(delta)), float(np.linalg.norm(before))
        ratios.append(moved / size if size > 0.0 else (np.inf if moved > 0.0 else 0.0))
    return ratios


def _health(
    network: Network,
    zs: Sequence[np.ndarray],
    activations: Sequence[np.ndarray],
    grad_weights: Sequence[np.ndarray] | None,
    ratios: Sequence[float] | None,
    weights: Sequence[np.ndarray],
) -> list[LayerHealth]:
    health = []
    for index, layer in enumerate(network.layers):
        z, a = zs[index], activations[index]
        saturated = saturation(layer.function, z, a)
        unit_saturated = None if saturated is None else saturated.mean(axis=0)
        dead = dead_units(layer.function, z)
        health.append(
            LayerHealth(
                layer=index,
                activation=layer.activation,
                units=layer.units,
                samples=z.shape[0],
                weight_norm=float(np.linalg.norm(weights[index])),
                grad_norm=None
                if grad_weights is None
                else float(np.linalg.norm(grad_weights[index])),
                update_ratio=None if ratios is None else float(ratios[index]),
                saturated=None if saturated is None else float(saturated.mean()),
                dead=None if dead is None else float(dead.mean()),
                unit_saturated=frozen_array(unit_saturated),
                unit_dead=None if dead is None else _frozen_bool(dead),
            )
        )
    return health


def _frozen_bool(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=bool, copy=True)
    out.flags.writeable = False
    return out


def layer_health(
    network: Network,
    X: np.ndarray,
    T: np.ndarray | None = None,
    last_update: UpdateRecord | np.ndarray | None = None,
    *,
    regularization: Regularization | None = None,
    normalized: bool = False,
) -> list[LayerHealth]:
    """The health of every layer of ``network`` (current weights) on the batch ``X``.

    ``X`` ``(n, inputs)`` raw inputs, as ``predict`` takes them (the network's normalisation is
    applied), or with ``normalized=True`` as the first layer sees them (``Trainer.X``, a
    record's ``inputs``); ``T`` targets as a ``Trainer`` takes them (class labels are made
    one-hot), for ``grad_norm`` (``None``: no ``grad_norm``); ``last_update`` for
    ``update_ratio`` (see ``update_ratios``); ``regularization`` adds the penalty's gradient
    to ``grad_norm`` as training does. Formulas in the module docstring. ``ValueError`` for
    unfit ``X`` or ``T``.
    """
    inputs = np.asarray(X, dtype=np.float64) if normalized else network.check_inputs(X)
    if inputs.ndim != 2 or inputs.shape[1] != network.inputs:
        raise ValueError(
            f"inputs must have shape (samples, {network.inputs}), got {tuple(inputs.shape)}"
        )
    if inputs.shape[0] == 0:
        raise ValueError("layer health needs at least one sample")
    record = forward(network, inputs)
    grad_weights = None
    if T is not None:
        targets = prepare_targets(network, T, inputs.shape[0])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            gradients = backward(network, record, targets, regularization or NO_REGULARIZATION)
        grad_weights = [layer.grad_weight for layer in gradients.layers]
    ratios = None if last_update is None else update_ratios(network, last_update)
    return _health(
        network,
        [layer.z for layer in record.layers],
        [layer.a for layer in record.layers],
        grad_weights,
        ratios,
        [layer.weight for layer in network.layers],
    )


def step_health(network: Network, step: StepRecord) -> list[LayerHealth]:
    """The health of every layer during ``step`` (a ``Trainer.last_step``), from its records.

    ``z`` and ``f'`` are the step's forward pass, ``grad_norm`` its ``grad_weight`` (at the
    weights before its update, regularisation included as trained), ``update_ratio`` its
    update, ``weight_norm`` the weights before the update. ``network`` gives the activations.
    """
    if len(step.forward.layers) != len(network.layers):
        raise ValueError(
            f"the step has {len(step.forward.layers)} layers, the network has {len(network.layers)}"
        )
    return _health(
        network,
        [layer.z for layer in step.forward.layers],
        [layer.a for layer in step.forward.layers],
        [layer.grad_weight for layer in step.backward.layers],
        update_ratios(network, step.update),
        [parameters.weight for parameters in step.update.before],
    )
