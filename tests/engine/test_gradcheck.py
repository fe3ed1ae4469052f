"""``check_gradients``: the window's gradient check passes on correct backpropagation, fails
when a derivative in the registry is broken, samples large networks, and says where."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bp_studio.engine import (
    ACTIVATIONS,
    LOSSES,
    Network,
    Regularization,
    Trainer,
    hidden_activations,
    output_activations,
)
from bp_studio.engine.gradcheck import (
    MAX_PARAMETERS,
    TOLERANCE,
    check_gradients,
    objective,
    parameter_name,
)
from bp_studio.engine.normalization import Normalization

PAIRS = [(output, loss) for loss in LOSSES for output in output_activations(loss)]


def random_case(hidden: str, output: str, loss: str, seed: int = 0, n: int = 12):
    """Random weights, biases and data: no search for friendly seeds (the window cannot
    choose its data either)."""
    rng = np.random.default_rng(seed)
    outputs = 3 if LOSSES[loss].targets == "one_hot" else 2
    net = Network.create([3, 6, 5, outputs], [hidden, hidden, output], loss, seed=seed)
    for layer in net.layers:
        layer.bias[...] = rng.normal(0.0, 0.5, layer.bias.shape)
    X = rng.normal(0.0, 2.0, (n, 3))
    if outputs == 3:
        T = rng.integers(0, 3, n)
    else:
        T = rng.uniform(0.0, 1.0, (n, 2))
    return net, X, T


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("hidden", hidden_activations())
def test_correct_backpropagation_passes(hidden: str, output: str, loss: str) -> None:
    net, X, T = random_case(hidden, output, loss)
    before = net.parameters.copy()
    result = check_gradients(net, X, T, Regularization("l2", 0.01))
    assert result.passed, (result.worst_away_from_kinks, parameter_name(net, result.worst_index))
    assert result.worst_away_from_kinks < TOLERANCE / 5
    assert not result.sampled and list(result.indices) == list(range(net.parameters.size))
    assert np.array_equal(net.parameters, before)  # left exactly as it was


@pytest.mark.parametrize("name", hidden_activations())
def test_a_broken_derivative_in_the_registry_fails_the_check(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    right = ACTIVATIONS[name].derivative

    def broken(z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1.05 * right(z, a)

    monkeypatch.setitem(
        ACTIVATIONS, name, dataclasses.replace(ACTIVATIONS[name], derivative=broken)
    )
    output = "sigmoid" if name != "sigmoid" else "tanh"  # an output layer left unbroken
    net, X, T = random_case(name, output, "mse")
    assert net.layers[0].function.derivative is broken
    result = check_gradients(net, X, T)
    assert not result.passed
    assert result.worst > 1e-2
    layer, kind, _, _ = parameter_name(net, result.worst_index)
    assert layer in (0, 1)  # the broken layers, not the output layer
    # The output layer's own gradients are untouched by the hidden derivative.
    output_errors = result.layer_errors(net)[2]
    assert np.nanmax(output_errors[0]) < TOLERANCE


def test_a_large_network_is_checked_on_a_seeded_sample() -> None:
    net = Network.create([64, 32, 10], ["tanh", "softmax"], "cross_entropy", seed=1)
    rng = np.random.default_rng(1)
    X, T = rng.normal(0.0, 1.0, (32, 64)), rng.integers(0, 10, 32)
    first = check_gradients(net, X, T)
    again = check_gradients(net, X, T)
    other = check_gradients(net, X, T, seed=1)
    assert first.sampled and len(first.indices) == MAX_PARAMETERS == 1000
    assert first.parameters == 64 * 32 + 32 + 32 * 10 + 10
    assert np.array_equal(first.indices, again.indices)
    assert np.array_equal(first.errors, again.errors)
    assert not np.array_equal(first.indices, other.indices)
    assert np.all(np.diff(first.indices) > 0)
    assert first.passed
    weight_errors, bias_errors = first.layer_errors(net)[0]
    assert weight_errors.shape == (32, 64) and bias_errors.shape == (32,)
    checked = np.isfinite(
        np.concatenate([e.ravel() for pair in first.layer_errors(net) for e in pair])
    )
    assert checked.sum() == 1000
    index = int(first.indices[17])
    assert first.error_of(index) == first.errors[17]
    missing = next(i for i in range(first.parameters) if i not in set(first.indices.tolist()))
    assert first.error_of(missing) is None


def test_the_gradient_of_the_step_in_progress_is_checked() -> None:
    """The window checks the backward record of the current step (at the current weights)."""
    net, X, T = random_case("tanh", "sigmoid", "binary_cross_entropy", seed=3)
    trainer = Trainer(net, X, T, batch_size=5, lr=0.2)
    trainer.step()
    for _ in range(3):  # forward, error, backward of step 2
        trainer.next_phase()
    progress = trainer.progress
    gradient = progress.backward.gradient
    result = check_gradients(
        net, progress.inputs, progress.targets, normalized=True, analytic=gradient
    )
    assert result.passed and result.worst_away_from_kinks < 1e-5
    wrong = gradient.copy()
    wrong[7] *= 1.01
    result = check_gradients(
        net, progress.inputs, progress.targets, normalized=True, analytic=wrong
    )
    assert not result.passed and result.worst_index == 7
    assert result.worst == pytest.approx(0.01 / 1.01, rel=1e-3)


def test_raw_and_normalised_inputs_agree() -> None:
    net, X, T = random_case("sigmoid", "linear", "mse", seed=4)
    net.normalization = Normalization.fit("standardize", X)
    raw = check_gradients(net, X, T)
    normalised = check_gradients(net, net.normalization.apply(X), T, normalized=True)
    assert np.array_equal(raw.errors, normalised.errors)
    assert raw.objective == objective(
        net, net.normalization.apply(X), raw_targets(T), Regularization()
    )


def raw_targets(T: np.ndarray) -> np.ndarray:
    return np.asarray(T, dtype=np.float64)


def test_differences_agree_with_whole_forward_passes() -> None:
    """The cached, one-unit evaluations against perturbing theta and running everything."""
    net, X, T = random_case("leaky_relu", "softmax", "cross_entropy", seed=5, n=4)
    net.layers[1].bias[...] = 0.3
    reg = Regularization("l1", 0.05)
    targets = np.eye(3)[T]
    result = check_gradients(net, X, T, reg)
    h = result.h
    for k in (0, 5, 19, 20, 41, len(result.indices) - 1):
        index = int(result.indices[k])
        values = []
        for sign in (1.0, -1.0):
            trial = net.copy()
            trial.parameters[index] += sign * h
            values.append(objective(trial, X, targets, reg))
        expected = (values[0] - values[1]) / (2 * h)
        assert result.numeric[k] == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_a_unit_on_a_kink_is_marked_and_left_out_of_the_verdict() -> None:
    """Hidden relu unit 1 has z = 0 exactly on sample 1: the differences straddle the kink."""
    net = Network(
        [[[1.0, -1.0], [0.5, 0.25]], [[0.7, -0.3]]], [[0.0, 0.1], [0.2]], ["relu", "linear"]
    )
    X = np.array([[0.5, 0.5], [1.0, -0.5], [-0.4, 0.9]])
    T = np.array([[0.3], [-0.2], [0.5]])
    result = check_gradients(net, X, T)
    marked = {parameter_name(net, int(i)) for i in result.indices[result.near_kink]}
    assert marked == {(0, "weight", 0, 0), (0, "weight", 0, 1), (0, "bias", 0, None)}
    assert result.worst > TOLERANCE  # the kink breaks the differences...
    assert result.passed  # ...not backpropagation


def test_bad_arguments_are_named() -> None:
    net, X, T = random_case("tanh", "linear", "mse")
    with pytest.raises(ValueError, match="step h must be a positive number"):
        check_gradients(net, X, T, h=0.0)
    with pytest.raises(ValueError, match="max_parameters must be at least 1"):
        check_gradients(net, X, T, max_parameters=0)
    with pytest.raises(ValueError, match=r"inputs must have shape \(samples, 3\), got \(12, 2\)"):
        check_gradients(net, X[:, :2], T)
    with pytest.raises(ValueError, match=r"inputs must have shape \(samples, 3\), got \(12, 2\)"):
        check_gradients(net, X[:, :2], T, normalized=True)
    with pytest.raises(ValueError, match="at least one sample"):
        check_gradients(net, X[:0], T[:0])
    with pytest.raises(ValueError, match="there are 12 input rows but 11 target rows"):
        check_gradients(net, X, T[:11])
    with pytest.raises(ValueError, match="analytic has 3 values, the network has 71"):
        check_gradients(net, X, T, analytic=np.zeros(3))
