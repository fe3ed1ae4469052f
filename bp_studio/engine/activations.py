"""Activation functions, each with its derivative right beside it.

Every activation maps the layer's total input ``z`` (shape ``(samples, units)``) to its output
``a = f(z)`` (same shape). The derivative ``f'(z)`` is written in terms of ``z`` and ``a`` so
that the backward pass can reuse the forward pass's outputs, as the seed's
``hidden_outputs * (1 - hidden_outputs)`` does for the sigmoid.

``softmax`` is different: each output depends on every unit of its row, so it has no
elementwise derivative. It is only allowed on the output layer together with the
``cross_entropy`` loss, whose combined derivative ``dL/dz = (a - t) / n`` is handled by the loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_RELU_SLOPE = 0.01
"""Slope of ``leaky_relu`` for negative inputs."""


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` and its derivative ``f'``, side by side.

    ``forward(z) -> a`` and ``derivative(z, a) -> f'(z)``; ``formula`` and ``derivative_formula``
    are the plain-text formulas that the window prints.
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    formula: str
    derivative_formula: str


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-z) as written, within 2 ulps everywhere, while no e^-z can overflow (z above
    # -709: the usual case, one pass to check); below, see _sigmoid_with_tails.
    if z.size and np.minimum.reduce(z, axis=None) >= SIGMOID_EXP_LIMIT:
        return 1.0 / (1.0 + np.exp(-z))
    return _sigmoid_with_tails(z)


def _sigmoid_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return a * (1.0 - a)


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _tanh_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return 1.0 - a * a


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (z > 0.0).astype(np.float64)


def _leaky_relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0.0, z, LEAKY_RELU_SLOPE * z)


def _leaky_relu_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(z > 0.0, 1.0, LEAKY_RELU_SLOPE)


def _linear(z: np.ndarray) -> np.ndarray:
    return z


def _linear_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


def _softmax(z: np.ndarray) -> np.ndarray:
    # e^(z_k - max z) / sum_j e^(z_j - max z): the shift leaves the result unchanged and
    # keeps exp from overflowing.
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


SIGMOID_EXP_LIMIT = -709.0
"""Below this ``z``, ``e^-z`` overflows float64 (at ``z = -709.78``)."""


def _sigmoid_with_tails(z: np.ndarray) -> np.ndarray:
    """The sigmoid of any ``z``, NaN and infinities included, without overflow or warnings.

    At or above ``SIGMOID_EXP_LIMIT`` the same numbers as ``1 / (1 + e^-z)``; below it
    ``e^z / (1 + e^z) = e^z`` (to double precision, since ``e^z < 1e-308``), which keeps
    every value down to the smallest subnormal (``sigmoid(-745) = 5e-324``).
    """
    return np.where(
        z < SIGMOID_EXP_LIMIT,
        np.exp(np.minimum(z, 0.0)),
        1.0 / (1.0 + np.exp(-np.maximum(z, SIGMOID_EXP_LIMIT))),
    )


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", _sigmoid, _sigmoid_derivative, "1 / (1 + e^-z)", "a (1 - a)"),
        Activation("tanh", _tanh, _tanh_derivative, "tanh(z)", "1 - a^2"),
        Activation("relu", _relu, _relu_derivative, "max(0, z)", "1 if z > 0 else 0"),
        Activation(
            "leaky_relu",
            _leaky_relu,
            _leaky_relu_derivative,
            f"z if z > 0 else {LEAKY_RELU_SLOPE} z",
            f"1 if z > 0 else {LEAKY_RELU_SLOPE}",
        ),
        Activation("linear", _linear, _linear_derivative, "z", "1"),
        Activation("softmax", _softmax, None, "e^z_k / sum_j e^z_j", "(with cross-entropy) a - t"),
    )
}
"""Every activation by name, in the order the window lists them."""


def get_activation(name: str) -> Activation:
    """Return the activation called ``name``; ``ValueError`` names the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r} (known: {known})") from None
