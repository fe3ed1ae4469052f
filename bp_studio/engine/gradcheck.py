"""Gradient check: the backward pass against central finite differences.

For each checked parameter ``theta_i``, with ``J = L + penalty`` the objective on the batch:

    g_num_i = (J(theta + h e_i) - J(theta - h e_i)) / (2 h)
    r_i     = |g_i - g_num_i| / max(|g_i|, |g_num_i|, floor)

``g`` is the backward pass's gradient, ``r_i`` the relative error of parameter ``i``;
``floor`` keeps gradients that are (nearly) zero in both from dividing by zero.

The differences never use the backward pass: ``J`` is evaluated by the forward functions
and the loss alone. Changing one weight ``w_ji`` of layer ``l`` by ``d`` changes only
``z_j = sum_i w_ji a_i + b_j`` of that layer, by ``d a_i`` (a bias: by ``d``), so each
evaluation starts from the cached ``z`` of layer ``l`` and runs the layers after it: a check
of every parameter costs about one forward pass per parameter and layer, not two whole ones.

``check_gradients`` is the window's "Check gradients": every parameter, or a seeded random
sample of ``max_parameters`` of a large network, a floor that follows the rounding noise of
the differences (``FLOOR_FACTOR * eps * max(1, |J|) / h``: below it the differences cannot
tell a gradient from 0), and a verdict against ``TOLERANCE``. A perturbation that moves its
own unit's ``z`` across a kink of the activation (relu at 0) breaks the differences, not the
backward pass: such parameters are marked ``near_kink`` and left out of the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bp_studio.engine.network import Network
from bp_studio.engine.phases import NO_REGULARIZATION, backward, forward
from bp_studio.engine.records import frozen_array
from bp_studio.engine.regularization import Regularization
from bp_studio.engine.trainer import prepare_targets

TOLERANCE = 1e-4
"""``check_gradients`` passes when every relative error (away from kinks) is below this."""

MAX_PARAMETERS = 1000
"""Networks with more parameters are checked on a seeded random sample of this many."""

FLOOR_FACTOR = 1e5
"""``floor = FLOOR_FACTOR * eps * max(1, |J|) / h``: the differences' rounding noise
``eps |J| / h`` stays below ``TOLERANCE / 10`` of the floor."""

STEP = 1e-5
"""``check_gradients``' step ``h``: near ``cbrt(eps)``, where rounding and truncation balance."""


def _layer_inputs(network: Network, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(inputs, zs)``: each layer's input ``a_{l-1}`` and total input ``z_l``."""
    inputs, zs = [], []
    a = X
    for layer in network.layers:
        inputs.append(a)
        z = a @ layer.weight.T
        if layer.bias is not None:
            z = z + layer.bias
        zs.append(z)
        a = layer.function.forward(z)
    return inputs, zs


def _loss_from(network: Network, index: int, z: np.ndarray, T: np.ndarray) -> float:
    """The data loss ``L`` when layer ``index``'s total input is ``z``: the rest of the forward
    pass, then the loss."""
    layers = network.layers
    a = layers[index].function.forward(z)
    for layer in layers[index + 1 :]:
        z = a @ layer.weight.T
        if layer.bias is not None:
            z = z + layer.bias
        a = layer.function.forward(z)
    return network.loss.value(z, a, T)


def objective(
    network: Network, X: np.ndarray, T: np.ndarray, regularization: Regularization
) -> float:
    """``J = L + penalty`` for the network's current parameters.

    ``X`` ``(n, inputs)`` as the first layer sees it (normalised, like ``Trainer.X``).
    """
    _, zs = _layer_inputs(network, X)
    last = len(network.layers) - 1
    penalty = sum(regularization.penalty(layer.weight) for layer in network.layers)
    return _loss_from(network, last, zs[last], T) + penalty


def _owners(network: Network) -> list[tuple[int, str, int, int]]:
    """For every flat parameter index: ``(layer, "weight" | "bias", unit, input)``."""
    owners: list[tuple[int, str, int, int]] = []
    for name, _, shape in network.parameter_slices():
        _, layer, kind = name.split(".")
        if kind == "weight":
            owners += [(int(layer), kind, j, i) for j in range(shape[0]) for i in range(shape[1])]
        else:
            owners += [(int(layer), kind, j, 0) for j in range(shape[0])]
    return owners


def _differences(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    regularization: Regularization,
    h: float,
    indices: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(g_num, near_kink)`` at ``indices``: central differences of ``J``, and whether the
    perturbation moves the parameter's own unit's ``z`` across a kink of its activation."""
    inputs, zs = _layer_inputs(network, X)
    layers = network.layers
    penalties = [regularization.penalty(layer.weight) for layer in layers]
    total_penalty = sum(penalties)
    owners = _owners(network)
    numeric = np.zeros(len(indices))
    near_kink = np.zeros(len(indices), dtype=bool)
    for k, flat in enumerate(indices):
        index, kind, unit, column = owners[int(flat)]
        layer = layers[index]
        shift = inputs[index][:, column] * h if kind == "weight" else np.full(X.shape[0], h)
        values = []
        for sign in (1.0, -1.0):
            z = zs[index].copy()
            z[:, unit] += sign * shift
            penalty = total_penalty
            if kind == "weight" and regularization.active:
                weight = layer.weight.copy()
                weight[unit, column] += sign * h
                penalty = total_penalty - penalties[index] + regularization.penalty(weight)
            values.append(_loss_from(network, index, z, T) + penalty)
        numeric[k] = (values[0] - values[1]) / (2.0 * h)
        for kink in layer.function.kinks:
            distance = np.abs(zs[index][:, unit] - kink)
            near_kink[k] |= bool(np.any(distance <= np.abs(shift)))
    return numeric, near_kink


def numerical_gradient(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    regularization: Regularization = NO_REGULARIZATION,
    h: float = 1e-6,
) -> np.ndarray:
    """Central differences of ``J`` for every parameter (flat, like ``network.parameters``).

    ``X`` as the first layer sees it (normalised); the parameters are left as they were.
    """
    indices = np.arange(network.parameters.size)
    return _differences(network, X, T, regularization, h, indices)[0]


def gradient_check(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    regularization: Regularization = NO_REGULARIZATION,
    h: float = 1e-6,
    floor: float = 1e-7,
) -> float:
    """The largest relative error between the backward pass and finite differences, over
    every parameter, with a fixed ``floor`` (``X`` normalised; see ``check_gradients``)."""
    analytic = backward(network, forward(network, X), T, regularization).gradient
    numeric = numerical_gradient(network, X, T, regularization, h)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return float(np.max(np.abs(analytic - numeric) / scale))


@dataclass(frozen=True)
class GradientCheck:
    """The result of ``check_gradients``; arrays are read-only and follow ``indices``.

    - ``indices``: the flat parameter indices checked (ascending), ``parameters`` of them in
      all when ``sampled`` is false;
    - ``analytic``: backpropagation's ``g_i``; ``numeric``: the central differences ``g_num_i``;
      ``errors``: the relative errors ``r_i``; ``near_kink``: left out of the verdict;
    - ``h``, ``floor``, ``tolerance``, ``objective`` (``J``), ``parameters`` (the network's
      count).
    """

    indices: np.ndarray
    analytic: np.ndarray
    numeric: np.ndarray
    errors: np.ndarray
    near_kink: np.ndarray
    h: float
    floor: float
    tolerance: float
    objective: float
    parameters: int

    @property
    def sampled(self) -> bool:
        return len(self.indices) < self.parameters

    @property
    def worst(self) -> float:
        """The largest relative error of all checked parameters."""
        return float(np.max(self.errors)) if len(self.errors) else 0.0

    @property
    def worst_index(self) -> int:
        """The flat index of the parameter with the largest relative error."""
        return int(self.indices[int(np.argmax(self.errors))])

    @property
    def worst_away_from_kinks(self) -> float:
        """The largest relative error of the parameters not ``near_kink`` (the verdict's)."""
        errors = self.errors[~self.near_kink]
        return float(np.max(errors)) if len(errors) else 0.0

    @property
    def passed(self) -> bool:
        return self.worst_away_from_kinks < self.tolerance

    def error_of(self, index: int) -> float | None:
        """The relative error of flat parameter ``index``, ``None`` if it was not checked."""
        where = int(np.searchsorted(self.indices, index))
        if where < len(self.indices) and self.indices[where] == index:
            return float(self.errors[where])
        return None

    def layer_errors(self, network: Network) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per layer ``(weight_errors (units, inputs), bias_errors (units,) or None)``, NaN for
        parameters not checked: what the canvas colours edges by."""
        full = np.full(self.parameters, np.nan)
        full[self.indices] = self.errors
        out: list[tuple[np.ndarray, np.ndarray | None]] = []
        slices = iter(network.parameter_slices())
        for layer in network.layers:
            _, where, shape = next(slices)
            weight = full[where].reshape(shape)
            bias = None
            if layer.bias is not None:
                _, where, _ = next(slices)
                bias = full[where]
            out.append((weight, bias))
        return out


def parameter_name(network: Network, index: int) -> tuple[int, str, int, int | None]:
    """``(layer, "weight" | "bias", unit, input or None)`` of flat parameter ``index``
    (0-based; the explanation counts from 1)."""
    layer, kind, unit, column = _owners(network)[index]
    return layer, kind, unit, (column if kind == "weight" else None)


def check_gradients(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    regularization: Regularization | None = None,
    *,
    normalized: bool = False,
    analytic: np.ndarray | None = None,
    h: float = STEP,
    floor: float | None = None,
    tolerance: float = TOLERANCE,
    max_parameters: int = MAX_PARAMETERS,
    seed: int = 0,
) -> GradientCheck:
    """Compare backpropagation's ``dL/dtheta`` with central differences (module docstring).

    ``X`` ``(n, inputs)``: raw inputs as ``predict`` takes them, or with ``normalized=True``
    as the first layer sees them (``Trainer.X``, a record's ``inputs``); ``T`` targets as a
    ``Trainer`` takes them. ``analytic``: the flat gradient to check (the backward record of
    the step in progress, at the current weights), else the backward pass is run here.
    ``floor=None`` follows the rounding noise. More than ``max_parameters`` parameters: a
    sample of that many drawn with ``numpy.random.default_rng(seed)``. ``ValueError`` names
    an unfit argument. The network is left exactly as it was.
    """
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"the step h must be a positive number, got {h!r}")
    if int(max_parameters) < 1:
        raise ValueError(f"max_parameters must be at least 1, got {max_parameters!r}")
    inputs = np.asarray(X, dtype=np.float64) if normalized else network.check_inputs(X)
    if inputs.ndim != 2 or inputs.shape[1] != network.inputs:
        raise ValueError(
            f"inputs must have shape (samples, {network.inputs}), got {tuple(inputs.shape)}"
        )
    if inputs.shape[0] == 0:
        raise ValueError("the gradient check needs at least one sample")
    targets = prepare_targets(network, T, inputs.shape[0])
    regularization = regularization or NO_REGULARIZATION
    size = network.parameters.size
    if analytic is None:
        analytic = backward(network, forward(network, inputs), targets, regularization).gradient
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != (size,):
        raise ValueError(f"analytic has {analytic.size} values, the network has {size}")
    if size > max_parameters:
        rng = np.random.default_rng(seed)
        indices = np.sort(rng.choice(size, int(max_parameters), replace=False))
    else:
        indices = np.arange(size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = objective(network, inputs, targets, regularization)
        numeric, near_kink = _differences(network, inputs, targets, regularization, h, indices)
    if floor is None:
        floor = FLOOR_FACTOR * np.finfo(np.float64).eps * max(1.0, abs(value)) / h
    chosen = analytic[indices]
    scale = np.maximum(np.maximum(np.abs(chosen), np.abs(numeric)), floor)
    errors = np.abs(chosen - numeric) / scale
    errors = np.where(np.isfinite(errors), errors, np.inf)
    return GradientCheck(
        indices=_frozen_indices(indices),
        analytic=frozen_array(chosen),
        numeric=frozen_array(numeric),
        errors=frozen_array(errors),
        near_kink=_frozen_bool(near_kink),
        h=float(h),
        floor=float(floor),
        tolerance=float(tolerance),
        objective=float(value),
        parameters=size,
    )


def _frozen_indices(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=np.intp, copy=True)
    out.flags.writeable = False
    return out


def _frozen_bool(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=bool, copy=True)
    out.flags.writeable = False
    return out
