"""Layer health against hand-made cases: saturated sigmoids, dead ReLUs, a healthy network,
gradient norms equal to the backward records', update ratios of a real update."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bp_studio.engine import ACTIVATIONS, Network, Regularization, Trainer
from bp_studio.engine.diagnostics import (
    SATURATION_LEVEL,
    layer_health,
    step_health,
    update_ratios,
)
from bp_studio.engine.normalization import Normalization


def one_layer(activation: str, weight, bias) -> Network:
    return Network([weight], [bias], [activation], "mse")


# -- saturation ------------------------------------------------------------------------------


def test_a_sigmoid_net_with_huge_initial_weights_is_saturated() -> None:
    net = Network.create([4, 16, 1], "sigmoid", init="uniform", init_scale=30.0, seed=0)
    X = np.random.default_rng(0).normal(0.0, 1.0, (64, 4))
    hidden = layer_health(net, X)[0]
    assert hidden.saturated > 0.8  # |z| beyond 6 on most samples
    assert len(hidden.saturated_units) == 16
    calm = layer_health(Network.create([4, 16, 1], "sigmoid", seed=0), X)[0]
    assert calm.saturated < 0.01  # the same net with Xavier weights
    assert hidden.dead is None and hidden.unit_dead is None  # sigmoid cannot die


def test_saturation_hand_worked() -> None:
    """Unit 1: z = 0.1 and 1 (slopes 0.2494, 0.1966); unit 2: z = 1 and 10 (0.1966 and
    4.54e-5 < 0.01 × 0.25): one pair of four is saturated."""
    net = one_layer("sigmoid", [[1.0], [10.0]], [0.0, 0.0])
    health = layer_health(net, np.array([[0.1], [1.0]]))[0]
    assert health.saturated == 0.25
    assert health.unit_saturated.tolist() == [0.0, 0.5]
    assert health.saturated_units == []  # saturated on half the samples, not more


@pytest.mark.parametrize(
    ("activation", "edge"),
    [
        # sigmoid: a(1 - a) = 0.01 * 0.25  <=>  a = (1 + sqrt(0.99)) / 2,  z = log(a / (1 - a))
        ("sigmoid", math.log((1 + math.sqrt(0.99)) / (1 - math.sqrt(0.99)))),
        # tanh: 1 - a^2 = 0.01  <=>  z = atanh(sqrt(0.99))
        ("tanh", math.atanh(math.sqrt(0.99))),
    ],
)
def test_the_one_percent_edge(activation: str, edge: float) -> None:
    net = one_layer(activation, [[1.0]], [0.0])
    X = np.array([[edge - 1e-6], [edge + 1e-6], [-edge - 1e-6], [-edge + 1e-6]])
    health = layer_health(net, X)[0]
    assert health.saturated == 0.5  # beyond the edge on both sides, not inside it
    assert SATURATION_LEVEL == 0.01


def test_softplus_saturates_on_its_left_side_only() -> None:
    """softplus' = sigmoid(z) < 1 % of its maximum 1 for z < log(0.01 / 0.99) = -4.595."""
    assert ACTIVATIONS["softplus"].max_derivative == 1.0
    net = one_layer("softplus", [[1.0]], [0.0])
    health = layer_health(net, np.array([[-4.6], [-4.59], [10.0], [30.0]]))[0]
    assert health.saturated == 0.25


# -- dead units ------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_a_relu_layer_with_large_negative_biases_is_dead(activation: str) -> None:
    net = Network.create([3, 8, 1], [activation, "linear"], seed=1)
    net.layers[0].bias[...] = -50.0
    X = np.random.default_rng(1).normal(0.0, 1.0, (100, 3))
    hidden = layer_health(net, X, np.zeros((100, 1)))[0]
    assert hidden.dead == 1.0 and hidden.dead_units == list(range(8))
    assert hidden.saturated is None and hidden.unit_saturated is None
    if activation == "relu":
        assert hidden.grad_norm == 0.0  # no gradient reaches a dead relu's weights
    else:
        assert hidden.grad_norm > 0.0  # leaky: 1 % still passes


def test_dead_is_a_share_of_units_hand_worked() -> None:
    """Biases -100, 0, -0.5 on inputs 0.2 and 0.4 (weights 1): z = (-99.8, -99.6), (0.2, 0.4),
    (-0.3, -0.1): units 1 and 3 are dead on both samples."""
    net = one_layer("relu", [[1.0], [1.0], [1.0]], [-100.0, 0.0, -0.5])
    health = layer_health(net, np.array([[0.2], [0.4]]))[0]
    assert health.unit_dead.tolist() == [True, False, True]
    assert health.dead == pytest.approx(2 / 3)
    assert health.dead_units == [0, 2]
    # One sample on the live side is enough: with input 0.6 unit 3 has z = 0.1 > 0.
    health = layer_health(net, np.array([[0.2], [0.6]]))[0]
    assert health.dead_units == [0]


# -- a healthy network -----------------------------------------------------------------------


def test_a_well_initialised_net_is_neither_saturated_nor_dead() -> None:
    net = Network.create([2, 16, 16, 1], ["tanh", "relu", "sigmoid"], seed=3)
    rng = np.random.default_rng(3)
    X = rng.normal(0.0, 1.0, (200, 2))
    T = rng.uniform(0.0, 1.0, (200, 1))
    health = layer_health(net, X, T)
    assert health[0].saturated < 0.01
    assert health[1].dead == 0.0
    assert health[2].saturated < 0.01
    assert all(h.grad_norm > 0 for h in health)
    assert all(h.update_ratio is None for h in health)  # no update yet


def test_softmax_and_linear_layers_have_no_saturation_or_death() -> None:
    net = Network.create([2, 3, 3], ["linear", "softmax"], "cross_entropy", seed=0)
    for h in layer_health(net, np.ones((4, 2)), np.array([0, 1, 2, 1])):
        assert h.saturated is None and h.dead is None
        assert h.grad_norm is not None


# -- gradient norms and update ratios ----------------------------------------------------------


@pytest.mark.parametrize("regularization", [Regularization(), Regularization("l2", 0.1)])
def test_grad_norm_is_the_norm_of_the_records_grad_weight(
    regularization: Regularization,
) -> None:
    net = Network.create([3, 5, 4, 2], ["tanh", "leaky_relu", "sigmoid"], seed=4)
    rng = np.random.default_rng(4)
    X, T = rng.normal(0, 1, (6, 3)), rng.uniform(0, 1, (6, 2))
    before = net.copy()
    trainer = Trainer(net, X, T, lr=0.3, regularization=regularization)
    step = trainer.step()
    expected = [float(np.linalg.norm(layer.grad_weight)) for layer in step.backward.layers]
    from_records = step_health(net, step)
    fresh = layer_health(before, X, T, regularization=regularization)
    for index in range(3):
        assert from_records[index].grad_norm == expected[index]
        assert fresh[index].grad_norm == pytest.approx(expected[index], rel=1e-14)
        assert fresh[index].saturated == from_records[index].saturated
        sums = np.sqrt(np.sum(step.backward.layers[index].grad_weight ** 2))
        assert expected[index] == pytest.approx(sums, rel=1e-14)


def test_update_ratio_from_a_real_update() -> None:
    """With plain gradient descent ΔW = -lr dL/dW, so ‖ΔW‖ / ‖W‖ = lr ‖dL/dW‖ / ‖W‖."""
    net = Network.create([2, 4, 1], ["tanh", "sigmoid"], seed=5)
    X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.7, 0.8]])
    T = np.array([[1.0], [0.0], [1.0]])
    theta_before = net.parameters.copy()
    trainer = Trainer(net, X, T, lr=0.4)
    step = trainer.step()
    delta = net.parameters - theta_before
    from_records = step_health(net, step)
    from_vector = layer_health(net, X, T, last_update=delta)
    for index, layer in enumerate(step.backward.layers):
        w_before = step.update.before[index].weight
        by_hand = 0.4 * np.linalg.norm(layer.grad_weight) / np.linalg.norm(w_before)
        assert from_records[index].update_ratio == pytest.approx(by_hand, rel=1e-12)
        assert from_vector[index].update_ratio == pytest.approx(by_hand, rel=1e-9)
        assert from_records[index].weight_norm == np.linalg.norm(w_before)


def test_normalised_inputs_give_the_same_health() -> None:
    net = Network.create([2, 5, 1], ["relu", "sigmoid"], seed=6)
    X = np.random.default_rng(6).normal(3.0, 2.0, (20, 2))
    net.normalization = Normalization.fit("standardize", X)
    raw = layer_health(net, X, np.ones((20, 1)))
    ready = layer_health(net, net.normalization.apply(X), np.ones((20, 1)), normalized=True)
    assert [h.grad_norm for h in raw] == [h.grad_norm for h in ready]
    assert [h.dead for h in raw] == [h.dead for h in ready]
    with pytest.raises(ValueError, match=r"inputs must have shape \(samples, 2\), got \(20,\)"):
        layer_health(net, X[:, 0], normalized=True)


def test_update_ratio_of_zero_weights() -> None:
    net = Network([[[0.0, 0.0]], [[0.0]]], [None, None], ["tanh", "linear"], "mse")
    ratios = update_ratios(net, np.array([0.0, 0.0, 0.0]))
    assert ratios == [0.0, 0.0]
    net.layers[1].weight[0, 0] = 0.5  # moved from 0 to 0.5
    assert update_ratios(net, np.array([0.0, 0.0, 0.5])) == [0.0, math.inf]


# -- bad input ---------------------------------------------------------------------------------


def test_bad_inputs_give_clear_messages() -> None:
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match=r"inputs must have shape \(samples, 2\), got \(4, 3\)"):
        layer_health(net, np.ones((4, 3)))
    with pytest.raises(ValueError, match="inputs row 2, column 1: nan is not finite"):
        layer_health(net, np.array([[0.0, 1.0], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="at least one sample"):
        layer_health(net, np.ones((0, 2)))
    with pytest.raises(ValueError, match="there are 4 input rows but 3 target rows"):
        layer_health(net, np.ones((4, 2)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="last_update has 5 values, the network has 13"):
        layer_health(net, np.ones((4, 2)), last_update=np.ones(5))
    other = Trainer(Network.create([2, 1], "sigmoid"), np.ones((1, 2)), np.ones((1, 1))).step()
    with pytest.raises(ValueError, match="the step has 1 layers, the network has 2"):
        step_health(net, other)


def test_records_are_read_only() -> None:
    net = one_layer("relu", [[1.0], [1.0]], [-1.0, 0.0])
    health = layer_health(net, np.array([[0.5]]))[0]
    with pytest.raises(ValueError):
        health.unit_dead[0] = False
