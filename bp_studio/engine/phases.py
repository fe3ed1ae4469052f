"""The four phases of a training step, as functions of a network and a batch.

The kernels (``layer_forward``, ``output_delta``, ``hidden_delta``, ``layer_gradient_sums``,
``to_mean``) are the only place where the maths happens; the record-building functions below
and the trainer's fast path both call them in the same order (the fast path's
``output_layer`` performs the same operations as ``layer_forward``, the loss and
``output_delta`` on the output layer), so a step assembled from phase records gives bit for
bit the weights of the fast path.

Shapes: ``X`` ``(n, inputs)``; ``T`` ``(n, outputs)``; weights ``(units, inputs)``.

1. forward:   ``z_l = a_{l-1} W_l^T + b_l``;  ``a_l = f_l(z_l)``
2. error:     ``error = t - o``;  ``L = mean_s L_s`` (see ``losses``)
3. backward:  ``delta_L = dL_s/dz_L``;  ``delta_l = f_l'(z_l) * (delta_{l+1} W_{l+1})``;
              ``dL/dW_l = (1/n) delta_l^T a_{l-1} + lambda dP/dW_l``;
              ``dL/db_l = (1/n) sum_s delta_l``
4. update:    ``theta <- theta + step(dL/dtheta)`` (see ``optimizers``)
"""

from __future__ import annotations

import numpy as np

from bp_studio.engine.losses import mse_value_and_delta, softmax_cross_entropy
from bp_studio.engine.network import Layer, Network
from bp_studio.engine.records import (
    BackwardRecord,
    ErrorRecord,
    ForwardRecord,
    LayerBackward,
    LayerForward,
    frozen_array,
)
from bp_studio.engine.regularization import Regularization

NO_REGULARIZATION = Regularization()

# -- kernels -------------------------------------------------------------------------------


# Products go through ``np.dot`` (BLAS for every shape here): the same numbers as ``@`` with
# less overhead on small arrays, and BLAS rather than numpy's own loop for the outer product
# ``delta^T a_prev`` of a single sample.
LARGE_PRODUCT = 65_536
"""Gradients of at least this many weights (from more than one sample) use ``np.matmul``."""


def layer_forward(layer: Layer, a_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``z = a_prev @ W.T + b`` ``(n, units)`` and ``a = f(z)``."""
    z = np.dot(a_prev, layer.weight.T)
    if layer.bias is not None:
        z += layer.bias
    return z, layer.function.forward(z)


def output_layer(
    network: Network, a_prev: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The output layer's ``z`` and ``a``, the loss ``L`` and ``delta_L``, in one call.

    The same numbers as ``layer_forward``, ``loss.value`` and ``output_delta`` one after the
    other: softmax with cross-entropy shares the shift, ``exp`` and row sums
    (``losses.softmax_cross_entropy``), mse shares ``o - t`` (``losses.mse_value_and_delta``).
    """
    layer = network.layers[-1]
    if layer.activation == "softmax":
        z = np.dot(a_prev, layer.weight.T)
        if layer.bias is not None:
            z += layer.bias
        a, loss = softmax_cross_entropy(z, t)
        return z, a, loss, output_delta(network, z, a, t)
    z, a = layer_forward(layer, a_prev)
    if network.loss_name == "mse":
        loss, delta = mse_value_and_delta(z, a, t, layer.function)
        return z, a, loss, delta
    return z, a, network.loss.value(z, a, t), output_delta(network, z, a, t)


def output_delta(network: Network, z: np.ndarray, a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``delta_L = dL_s/dz_L`` ``(n, outputs)``: ``(o - t) f'(z)`` for mse, ``o - t`` else."""
    return network.loss.output_delta(z, a, t, network.layers[-1].function)


def hidden_delta(
    next_layer: Layer, delta_next: np.ndarray, layer: Layer, z: np.ndarray, a: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Back through one layer: ``(grad_output, derivative, delta)``, each ``(n, units)``.

    ``grad_output = delta_{l+1} @ W_{l+1}`` (``sum_k w_kj delta_k``), ``derivative = f'(z)``,
    ``delta = derivative * grad_output``.
    """
    derivative_of = layer.function.derivative
    if derivative_of is None:  # check_architecture keeps such activations off hidden layers
        raise ValueError(f"{layer.activation} is only allowed on the output layer")
    grad_output = np.dot(delta_next, next_layer.weight)
    derivative = derivative_of(z, a)
    return grad_output, derivative, derivative * grad_output


def layer_gradient_sums(
    delta: np.ndarray,
    a_prev: np.ndarray,
    grad_weight: np.ndarray,
    grad_bias: np.ndarray | None,
) -> None:
    """Write the batch sums ``delta^T a_prev`` and ``sum_s delta`` in place; ``to_mean``
    then makes them the means (the fast path scales its whole gradient vector at once)."""
    if grad_weight.size < LARGE_PRODUCT or delta.shape[0] == 1:
        np.dot(delta.T, a_prev, out=grad_weight)
    else:  # the same numbers; np.dot would zero the output once more than BLAS does
        np.matmul(delta.T, a_prev, out=grad_weight)
    if grad_bias is not None:
        np.add.reduce(delta, axis=0, out=grad_bias)


def to_mean(gradient: np.ndarray, inv_n: float) -> None:
    """Scale batch sums to means in place: ``gradient *= 1/n``, element by element, so one
    call on the flat vector gives the numbers of one call per layer. One sample skips it
    (``x * 1.0 == x`` exactly)."""
    if inv_n != 1.0:
        gradient *= inv_n


def add_penalty_gradient(
    regularization: Regularization, layer: Layer, grad_weight: np.ndarray
) -> np.ndarray | None:
    """Add ``d penalty/dW`` to ``grad_weight`` in place; return it (``None`` if inactive)."""
    if not regularization.active:
        return None
    penalty_grad = regularization.gradient(layer.weight)
    grad_weight += penalty_grad
    return penalty_grad


def gradient_views(
    network: Network, gradient: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """``(grad_weight, grad_bias)`` views into a flat ``gradient``, one pair per layer."""
    views: list[tuple[np.ndarray, np.ndarray | None]] = []
    slices = iter(network.parameter_slices())
    for layer in network.layers:
        _, where, shape = next(slices)
        grad_weight = gradient[where].reshape(shape)
        grad_bias = None
        if layer.bias is not None:
            _, where, _ = next(slices)
            grad_bias = gradient[where]
        views.append((grad_weight, grad_bias))
    return views


def penalty(network: Network, regularization: Regularization) -> float:
    """The regularisation penalty of the network's current weights."""
    if not regularization.active:
        return 0.0
    return sum(regularization.penalty(layer.weight) for layer in network.layers)


# -- phase records ---------------------------------------------------------------------------


def forward_layer(network: Network, index: int, a_prev: np.ndarray) -> LayerForward:
    """Phase 1 for layer ``index`` alone, from its inputs ``a_prev`` ``(n, inputs)``."""
    z, a = layer_forward(network.layers[index], a_prev)
    return LayerForward(index, frozen_array(a_prev), frozen_array(z), frozen_array(a))


def forward(network: Network, X: np.ndarray) -> ForwardRecord:
    """Phase 1: every layer, input to output."""
    layers = []
    a = X
    for index in range(len(network.layers)):
        record = forward_layer(network, index, a)
        layers.append(record)
        a = record.a
    return ForwardRecord(frozen_array(X), tuple(layers))


def error(
    network: Network,
    forward_record: ForwardRecord,
    T: np.ndarray,
    regularization: Regularization = NO_REGULARIZATION,
) -> ErrorRecord:
    """Phase 2: ``error = t - o``, each sample's loss and the mean loss ``L``."""
    last = forward_record.layers[-1]
    z, o = last.z, last.a
    loss = network.loss.value(z, o, T)
    sample_loss = network.loss.sample_values(z, o, T)
    return ErrorRecord(
        targets=frozen_array(T),
        outputs=o,
        error=frozen_array(T - o),
        sample_loss=frozen_array(sample_loss),
        loss=loss,
        penalty=penalty(network, regularization),
        loss_name=network.loss_name,
    )


def backward_layer(
    network: Network,
    index: int,
    forward_record: ForwardRecord,
    T: np.ndarray,
    later: LayerBackward | None,
    gradient: np.ndarray,
    regularization: Regularization = NO_REGULARIZATION,
) -> LayerBackward:
    """Phase 3 for layer ``index``, given the record of layer ``index + 1`` (``later``).

    The output layer (``later is None``) starts from the loss; a hidden layer takes
    ``delta_{l+1}`` from ``later``. The layer's gradients are written into its views of the
    flat ``gradient`` vector and copied into the record.
    """
    layer = network.layers[index]
    record = forward_record.layers[index]
    n = record.z.shape[0]
    if later is None:
        delta = output_delta(network, record.z, record.a, T)
        if network.loss.output_activation is None:
            derivative_of = layer.function.derivative
            if derivative_of is None:  # check_output_activation: elementwise activations only
                raise ValueError(
                    f"{network.loss_name} cannot be used with a {layer.activation} output layer"
                )
            grad_output = record.a - T
            derivative = derivative_of(record.z, record.a)
        else:
            grad_output = derivative = None
    else:
        grad_output, derivative, delta = hidden_delta(
            network.layers[index + 1], later.delta, layer, record.z, record.a
        )
    grad_weight, grad_bias = gradient_views(network, gradient)[index]
    layer_gradient_sums(delta, record.inputs, grad_weight, grad_bias)
    to_mean(grad_weight, 1.0 / n)
    if grad_bias is not None:
        to_mean(grad_bias, 1.0 / n)
    penalty_grad = add_penalty_gradient(regularization, layer, grad_weight)
    return LayerBackward(
        index=index,
        delta=frozen_array(delta),
        grad_output=frozen_array(grad_output),
        derivative=frozen_array(derivative),
        grad_weight=frozen_array(grad_weight),
        grad_bias=frozen_array(grad_bias),
        penalty_grad_weight=frozen_array(penalty_grad),
    )


def backward(
    network: Network,
    forward_record: ForwardRecord,
    T: np.ndarray,
    regularization: Regularization = NO_REGULARIZATION,
) -> BackwardRecord:
    """Phase 3: every layer, output to input; the record lists them in layer order."""
    gradient = np.zeros_like(network.parameters)
    records: list[LayerBackward] = []
    later = None
    for index in reversed(range(len(network.layers))):
        later = backward_layer(network, index, forward_record, T, later, gradient, regularization)
        records.append(later)
    return BackwardRecord(tuple(reversed(records)), frozen_array(gradient))
