"""Gradient check: the backward pass against central finite differences.

For each parameter ``theta_i``:  ``g_num = (J(theta + h e_i) - J(theta - h e_i)) / (2 h)`` with
``J = L + penalty`` the objective on the batch. The relative error of one parameter is
``|g - g_num| / max(|g|, |g_num|, floor)``; ``floor`` keeps gradients that are zero in both
from dividing by zero.
"""

from __future__ import annotations

import numpy as np

from bp_studio.engine.network import Network
from bp_studio.engine.phases import NO_REGULARIZATION, backward, forward, penalty
from bp_studio.engine.regularization import Regularization


def objective(
    network: Network, X: np.ndarray, T: np.ndarray, regularization: Regularization
) -> float:
    """``J = L + penalty`` for the network's current parameters."""
    outputs = network.predict(X)
    a_prev = X
    for layer in network.layers[:-1]:
        z = a_prev @ layer.weight.T + (0.0 if layer.bias is None else layer.bias)
        a_prev = layer.function.forward(z)
    last = network.layers[-1]
    z = a_prev @ last.weight.T + (0.0 if last.bias is None else last.bias)
    return network.loss.value(z, outputs, T) + penalty(network, regularization)


def numerical_gradient(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    regularization: Regularization = NO_REGULARIZATION,
    h: float = 1e-6,
) -> np.ndarray:
    """Central differences of ``J`` for every parameter (flat, like ``network.parameters``)."""
    theta = network.parameters
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + h
        plus = objective(network, X, T, regularization)
        theta[i] = saved - h
        minus = objective(network, X, T, regularization)
        theta[i] = saved
        grad[i] = (plus - minus) / (2.0 * h)
    return grad


def gradient_check(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    regularization: Regularization = NO_REGULARIZATION,
    h: float = 1e-6,
    floor: float = 1e-7,
) -> float:
    """The largest relative error between the backward pass and finite differences."""
    analytic = backward(network, forward(network, X), T, regularization).gradient
    numeric = numerical_gradient(network, X, T, regularization, h)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return float(np.max(np.abs(analytic - numeric) / scale))
