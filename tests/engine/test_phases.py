"""The phase machine, the fast path, batching, reproducibility, divergence and validation."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from bp_studio.engine import (
    BackwardRecord,
    ErrorRecord,
    ForwardRecord,
    LayerBackward,
    LayerForward,
    Network,
    Phase,
    Regularization,
    StepRecord,
    Trainer,
    TrainingDiverged,
    UpdateRecord,
    get_activation,
)
from bp_studio.engine.phases import LARGE_PRODUCT, layer_gradient_sums, to_mean
from bp_studio.engine.trainer import DOT_TEST_LIMIT

from helpers import flat

DIVERGED = re.compile(
    r"^(loss|gradient|weights) became (inf|-inf|nan) at step (\d+): lower the learning rate$"
)


def _data(net: Network, samples: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (samples, net.inputs))
    if net.loss_name == "cross_entropy":
        T = rng.integers(0, net.outputs, samples)  # class labels, made one-hot by the trainer
    elif net.loss_name == "binary_cross_entropy" or net.activations[-1] == "sigmoid":
        T = rng.integers(0, 2, (samples, net.outputs)).astype(float)
    else:
        T = rng.uniform(-1.0, 1.0, (samples, net.outputs))
    return X, T


def _state(trainer: Trainer) -> dict:
    """Everything a step may change."""
    return {
        "parameters": trainer.network.parameters.copy(),
        "optimizer": trainer.optimizer.state(),
        "step_count": trainer.step_count,
        "epoch": trainer.epoch,
        "batch_index": trainer.batch_index,
        "step_losses": list(trainer.step_losses),
        "epoch_losses": list(trainer.epoch_losses),
    }


def _assert_same_state(actual: dict, expected: dict) -> None:
    assert np.array_equal(actual["parameters"], expected["parameters"])
    assert actual["optimizer"].keys() == expected["optimizer"].keys()
    for key, value in expected["optimizer"].items():
        assert np.array_equal(actual["optimizer"][key], value), key
    for key in ("step_count", "epoch", "batch_index", "step_losses", "epoch_losses"):
        assert actual[key] == expected[key], key


# -- the phase records reassemble the fast path bit for bit --------------------------------

CONFIGS = [
    # sizes, activations, loss, optimizer, batch size, shuffle, regularization, bias, samples
    ([2, 4, 1], ["tanh", "sigmoid"], "mse", "sgd", None, False, ("none", 0.0), True, 8),
    ([3, 5, 2], ["relu", "linear"], "mse", "momentum", 3, True, ("l2", 0.01), True, 10),
    (
        [3, 4, 3, 2],
        ["leaky_relu", "tanh", "sigmoid"],
        "binary_cross_entropy",
        "adam",
        4,
        True,
        ("l1", 0.002),
        True,
        9,
    ),
    (
        [4, 6, 3],
        ["sigmoid", "softmax"],
        "cross_entropy",
        "adam",
        1,
        True,
        ("none", 0.0),
        [True, False],
        7,
    ),
    ([2, 3, 3, 1], ["tanh", "relu", "linear"], "mse", "sgd", 5, False, ("l2", 0.1), False, 12),
    ([5, 2], ["softmax"], "cross_entropy", "momentum", 2, True, ("l1", 0.01), True, 6),
    # 76,800 weights in the first layer: its gradient is a large product (np.matmul)
    ([300, 256, 1], ["tanh", "sigmoid"], "mse", "sgd", 4, False, ("none", 0.0), True, 8),
]


def _pair(config) -> tuple[Trainer, Trainer]:
    sizes, activations, loss, optimizer, batch, shuffle, (kind, rate), bias, samples = config
    net = Network.create(sizes, activations, loss, bias=bias, seed=3)
    X, T = _data(net, samples)
    make = dict(
        lr=0.05,
        batch_size=batch,
        shuffle=shuffle,
        optimizer=optimizer,
        seed=11,
        regularization=Regularization(kind, rate),
    )
    return Trainer(net, X, T, **make), Trainer(net.copy(), X, T, **make)


def _drive_phases(trainer: Trainer, steps: int) -> list[StepRecord]:
    """Run ``steps`` steps, mixing next_layer, next_phase and step."""
    records = []
    for number in range(steps):
        mode = number % 3
        if mode == 0:
            while not isinstance(trainer.next_layer(), UpdateRecord):
                pass
        elif mode == 1:
            for _ in range(4):
                trainer.next_phase()
        else:
            trainer.step()
        records.append(trainer.last_step)
    return records


@pytest.mark.parametrize("config", CONFIGS, ids=[f"config{i}" for i in range(len(CONFIGS))])
def test_phase_records_reassemble_the_fast_path_bit_for_bit(config) -> None:
    phased, fast = _pair(config)
    steps = 3 * fast.batches_per_epoch + 2
    records = _drive_phases(phased, steps)
    fast.run_steps(steps)
    assert np.array_equal(phased.network.parameters, fast.network.parameters)
    assert list(phased.step_losses) == list(fast.step_losses)
    assert list(phased.epoch_losses) == list(fast.epoch_losses)
    _assert_same_state(_state(phased), _state(fast))
    assert [r.update.step_number for r in records] == list(range(1, steps + 1))
    assert [r.error.loss for r in records] == list(fast.step_losses)
    # training did something
    assert not np.array_equal(records[0].update.before[0].weight, fast.network.layers[0].weight)


@pytest.mark.parametrize("config", CONFIGS[:3], ids=["config0", "config1", "config2"])
def test_run_epochs_equals_phase_steps(config) -> None:
    phased, fast = _pair(config)
    history = fast.run_epochs(4)
    _drive_phases(phased, 4 * phased.batches_per_epoch)
    assert history == list(phased.epoch_losses)
    assert np.array_equal(phased.network.parameters, fast.network.parameters)


def test_saturated_sigmoids_reassemble_the_fast_path_bit_for_bit() -> None:
    """Some ``z`` below -709, where the sigmoid takes its other formula, in both paths."""
    net = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], "mse", seed=1)
    net.layers[0].weight[...] *= 3000.0
    X, T = _data(net, 6)
    phased = Trainer(net, X, T, lr=0.5, batch_size=2)
    fast = Trainer(net.copy(), X, T, lr=0.5, batch_size=2)
    records = _drive_phases(phased, 6)
    fast.run_steps(6)
    assert np.min(records[0].forward.layers[0].z) < -709.0
    assert np.array_equal(phased.network.parameters, fast.network.parameters)
    assert list(phased.step_losses) == list(fast.step_losses)


def test_run_steps_finishes_a_half_done_step_first() -> None:
    phased, fast = _pair(CONFIGS[2])
    phased.next_layer()
    phased.next_layer()
    assert phased.progress is not None and phased.step_count == 0
    phased.run_steps(5)
    fast.run_steps(5)
    assert phased.progress is None
    assert phased.step_count == 5
    assert np.array_equal(phased.network.parameters, fast.network.parameters)
    assert list(phased.step_losses) == list(fast.step_losses)


def test_network_train_equals_trainer_run_epochs() -> None:
    net = Network.create([3, 4, 2], ["tanh", "linear"], "mse", seed=5)
    X, T = _data(net, 10)
    other = net.copy()
    history = net.train(
        X,
        T,
        epochs=6,
        lr=0.1,
        batch_size=3,
        shuffle=True,
        optimizer="adam",
        seed=4,
        regularization="l2",
        regularization_rate=0.01,
    )
    trainer = Trainer(
        other,
        X,
        T,
        lr=0.1,
        batch_size=3,
        shuffle=True,
        optimizer="adam",
        seed=4,
        regularization=Regularization("l2", 0.01),
    )
    assert history == trainer.run_epochs(6)
    assert np.array_equal(net.parameters, other.parameters)


# -- the order of the pieces and what the records hold -------------------------------------


def _three_layers() -> Trainer:
    net = Network.create([3, 4, 3, 2], ["tanh", "leaky_relu", "sigmoid"], "mse", seed=2)
    for layer in net.layers:
        layer.bias[...] = np.linspace(-0.3, 0.3, layer.units)
    X, T = _data(net, 5)
    return Trainer(net, X, T, lr=0.3, batch_size=3, optimizer="momentum")


def test_next_layer_order() -> None:
    trainer = _three_layers()
    for _ in range(2):  # two steps: the order repeats
        pieces = []
        phases = []
        while True:
            if trainer.progress is not None:
                phases.append(trainer.progress.phase)
            record = trainer.next_layer()
            pieces.append(record)
            if isinstance(record, UpdateRecord):
                break
        kinds = [type(p).__name__ for p in pieces]
        assert kinds == ["LayerForward"] * 3 + ["ErrorRecord"] + ["LayerBackward"] * 3 + [
            "UpdateRecord"
        ]
        assert [p.index for p in pieces[:3]] == [0, 1, 2]
        assert [p.index for p in pieces[4:7]] == [2, 1, 0]
        assert phases == [Phase.FORWARD] * 2 + [Phase.ERROR] + [Phase.BACKWARD] * 3 + [Phase.UPDATE]
        assert trainer.progress is None
        step = trainer.last_step
        assert step.update is pieces[-1]
        assert step.error is pieces[3]
        assert step.forward.layers == tuple(pieces[:3])
        assert step.backward.layers == tuple(reversed(pieces[4:7]))


def test_next_phase_order() -> None:
    trainer = _three_layers()
    records = [trainer.next_phase() for _ in range(8)]
    expected = [ForwardRecord, ErrorRecord, BackwardRecord, UpdateRecord] * 2
    assert [type(r) for r in records] == expected
    assert [r.phase for r in records] == [
        Phase.FORWARD,
        Phase.ERROR,
        Phase.BACKWARD,
        Phase.UPDATE,
    ] * 2
    assert [r.update.step_number for r in [trainer.last_step]] == [2]
    assert records[3].step_number == 1 and records[7].step_number == 2
    assert [layer.index for layer in records[0].layers] == [0, 1, 2]
    assert [layer.index for layer in records[2].layers] == [0, 1, 2]
    assert Phase.BACKWARD.title == "Backward"


def test_next_phase_after_next_layer_finishes_the_phase() -> None:
    trainer = _three_layers()
    first = trainer.next_layer()
    record = trainer.next_phase()
    assert isinstance(record, ForwardRecord)
    assert record.layers[0] is first
    assert trainer.progress.phase == Phase.ERROR


def test_step_returns_the_four_records() -> None:
    trainer = _three_layers()
    record = trainer.step()
    assert isinstance(record, StepRecord)
    assert isinstance(record.forward, ForwardRecord)
    assert isinstance(record.error, ErrorRecord)
    assert isinstance(record.backward, BackwardRecord)
    assert isinstance(record.update, UpdateRecord)
    assert record.batch.tolist() == [0, 1, 2]
    assert record.epoch == 1
    assert record.error.loss == trainer.step_losses[0]
    assert np.array_equal(record.forward.inputs, trainer.X[:3])
    assert np.array_equal(record.error.targets, trainer.T[:3])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_update_after_is_before_plus_step_exactly(optimizer: str) -> None:
    net = Network.create([3, 4, 2], ["tanh", "linear"], "mse", bias=[True, False], seed=1)
    X, T = _data(net, 6)
    trainer = Trainer(net, X, T, lr=0.2, optimizer=optimizer, batch_size=4)
    for _ in range(4):
        update = trainer.step().update
        for before, step, after in zip(update.before, update.step, update.after):
            assert np.array_equal(after.weight, before.weight + step.weight)
            if before.bias is None:
                assert step.bias is None and after.bias is None
            else:
                assert np.array_equal(after.bias, before.bias + step.bias)
        assert np.array_equal(flat(update.after), net.parameters)
        assert not np.array_equal(flat(update.before), net.parameters)
        assert update.optimizer == optimizer
        assert update.lr == 0.2


def _arrays(record) -> list[tuple[str, np.ndarray]]:
    found = []
    if isinstance(record, np.ndarray):
        return [("", record)]  # the caller adds the name
    if dataclasses.is_dataclass(record):
        for f in dataclasses.fields(record):
            for name, array in _arrays(getattr(record, f.name)):
                found.append((f".{f.name}{name}", array))
    elif isinstance(record, tuple):
        for i, item in enumerate(record):
            for name, array in _arrays(item):
                found.append((f"[{i}]{name}", array))
    return found


def test_records_are_read_only() -> None:
    trainer = Trainer(
        Network.create([3, 4, 2], ["relu", "sigmoid"], "mse", seed=0),
        *_data(Network.create([3, 4, 2], seed=0), 4),
        regularization=Regularization("l2", 0.1),
    )
    step = trainer.step()
    arrays = _arrays(step)
    names = {name.lstrip(".") for name, _ in arrays}
    for expected in (
        "batch",
        "forward.inputs",
        "forward.layers[0].z",
        "forward.layers[1].a",
        "error.error",
        "error.outputs",
        "error.sample_loss",
        "error.targets",
        "backward.gradient",
        "backward.layers[0].delta",
        "backward.layers[0].grad_weight",
        "backward.layers[1].grad_bias",
        "backward.layers[0].penalty_grad_weight",
        "update.before[0].weight",
        "update.step[1].bias",
        "update.after[0].weight",
    ):
        assert expected in names
    for name, array in arrays:
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array.flat[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.error.loss = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.forward.layers[0].z = np.zeros(1)  # type: ignore[misc]


def test_records_stay_true_after_the_network_moves_on() -> None:
    trainer = _three_layers()
    first = trainer.step()
    saved_after = flat(first.update.after).copy()
    saved_z = first.forward.layers[1].z.copy()
    trainer.step()
    trainer.network.set_weight(0, 0, 0, 123.0)
    assert np.array_equal(flat(first.update.after), saved_after)
    assert np.array_equal(first.forward.layers[1].z, saved_z)
    assert first.update.before[0].weight[0, 0] != 123.0


def test_forward_records_hold_z_and_a() -> None:
    trainer = _three_layers()
    step = trainer.step()
    a_prev = trainer.X[step.batch]
    for layer, record, params in zip(
        trainer.network.layers, step.forward.layers, step.update.before
    ):
        assert np.array_equal(record.inputs, a_prev)
        expected_z = a_prev @ params.weight.T + params.bias
        np.testing.assert_allclose(record.z, expected_z, rtol=1e-14, atol=1e-15)
        assert np.array_equal(record.a, layer.function.forward(record.z))
        a_prev = record.a
    assert np.array_equal(step.error.outputs, step.forward.outputs)
    assert np.array_equal(step.error.error, step.error.targets - step.forward.outputs)


def test_backward_records_follow_the_delta_rule() -> None:
    trainer = _three_layers()
    step = trainer.step()
    layers = trainer.network.layers
    params = step.update.before
    back = step.backward.layers
    fwd = step.forward.layers
    n = step.batch.size
    T = step.error.targets
    # output layer, mse: grad_output = o - t, delta = (o - t) f'(z)
    out = back[-1]
    assert np.array_equal(out.grad_output, fwd[-1].a - T)
    assert np.array_equal(out.derivative, layers[-1].function.derivative(fwd[-1].z, fwd[-1].a))
    assert np.array_equal(out.delta, out.grad_output * out.derivative)
    for index in (1, 0):
        record = back[index]
        expected_output = back[index + 1].delta @ params[index + 1].weight
        np.testing.assert_allclose(record.grad_output, expected_output, rtol=1e-14, atol=1e-15)
        derivative = get_activation(layers[index].activation).derivative(fwd[index].z, fwd[index].a)
        assert np.array_equal(record.derivative, derivative)
        np.testing.assert_allclose(
            record.delta, derivative * expected_output, rtol=1e-14, atol=1e-15
        )
    for index, record in enumerate(back):
        assert isinstance(record, LayerBackward) and record.index == index
        np.testing.assert_allclose(
            record.grad_weight, record.delta.T @ fwd[index].inputs / n, rtol=1e-14, atol=1e-15
        )
        np.testing.assert_allclose(
            record.grad_bias, record.delta.mean(axis=0), rtol=1e-14, atol=1e-15
        )
        assert record.penalty_grad_weight is None
    assert np.array_equal(
        step.backward.gradient,
        flat(
            [dataclasses.replace(params[0], weight=b.grad_weight, bias=b.grad_bias) for b in back]
        ),
    )
    # the leaky_relu layer really had units on both sides
    assert set(np.unique(back[1].derivative)) == {0.01, 1.0}
    assert isinstance(fwd[0], LayerForward)


@pytest.mark.parametrize("samples", [1, 5])
def test_layer_gradient_of_a_large_layer(samples: int) -> None:
    """Large layers take np.matmul (one sample: np.dot); the batch mean either way."""
    rng = np.random.default_rng(0)
    delta, a_prev = rng.normal(size=(samples, 300)), rng.normal(size=(samples, 256))
    grad_weight, grad_bias = np.empty((300, 256)), np.empty(300)
    assert grad_weight.size >= LARGE_PRODUCT
    layer_gradient_sums(delta, a_prev, grad_weight, grad_bias)
    to_mean(grad_weight, 1.0 / samples)
    to_mean(grad_bias, 1.0 / samples)
    np.testing.assert_allclose(grad_weight, delta.T @ a_prev / samples, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(grad_bias, delta.mean(axis=0), rtol=1e-13, atol=1e-14)


# -- reproducibility ------------------------------------------------------------------------


def _train(net_seed: int, train_seed: int) -> tuple[Network, list[float]]:
    net = Network.create([3, 5, 2], ["tanh", "sigmoid"], "mse", seed=net_seed)
    X, T = _data(net, 11)
    history = net.train(X, T, epochs=5, lr=0.3, batch_size=4, shuffle=True, seed=train_seed)
    return net, history


def test_same_seed_gives_bit_identical_runs() -> None:
    assert np.array_equal(
        Network.create([3, 5, 2], seed=9).parameters, Network.create([3, 5, 2], seed=9).parameters
    )
    first, first_history = _train(1, 2)
    second, second_history = _train(1, 2)
    assert np.array_equal(first.parameters, second.parameters)
    assert first_history == second_history


def test_different_seeds_differ() -> None:
    base, base_history = _train(1, 2)
    other_net, _ = _train(3, 2)
    other_shuffle, shuffle_history = _train(1, 5)
    assert not np.array_equal(
        Network.create([3, 5, 2], seed=1).parameters, Network.create([3, 5, 2], seed=3).parameters
    )
    assert not np.array_equal(base.parameters, other_net.parameters)
    assert not np.array_equal(base.parameters, other_shuffle.parameters)
    assert base_history != shuffle_history


@pytest.mark.parametrize("init", ["xavier", "he", "uniform"])
def test_initializers_are_seeded_and_biases_start_at_zero(init: str) -> None:
    first = Network.create([4, 6, 3], "tanh", init=init, seed=12)
    second = Network.create([4, 6, 3], "tanh", init=init, seed=12)
    assert np.array_equal(first.parameters, second.parameters)
    assert all(np.all(layer.bias == 0.0) for layer in first.layers)
    assert all(np.any(layer.weight != 0.0) for layer in first.layers)
    if init == "xavier":
        assert np.max(np.abs(first.layers[0].weight)) <= np.sqrt(6.0 / 10.0)


# -- batching -------------------------------------------------------------------------------


def _ten_samples(batch_size, shuffle) -> Trainer:
    net = Network.create([2, 3, 1], ["tanh", "linear"], "mse", seed=0)
    X, T = _data(net, 10)
    return Trainer(net, X, T, lr=0.05, batch_size=batch_size, shuffle=shuffle, seed=1)


def test_full_batch_is_one_step_per_epoch() -> None:
    trainer = _ten_samples(None, False)
    assert trainer.batches_per_epoch == 1
    history = trainer.run_epochs(7)
    assert trainer.step_count == 7 and trainer.epoch == 7
    assert history == list(trainer.step_losses)
    assert trainer.step().batch.tolist() == list(range(10))


def test_batch_of_three_on_ten_samples() -> None:
    trainer = _ten_samples(3, True)
    assert trainer.batches_per_epoch == 4
    orders = []
    for epoch in range(1, 4):
        steps = [trainer.step() for _ in range(4)]
        assert [s.batch.size for s in steps] == [3, 3, 3, 1]
        assert [s.epoch for s in steps] == [epoch] * 4
        visited = np.concatenate([s.batch for s in steps])
        assert sorted(visited.tolist()) == list(range(10))
        orders.append(visited.tolist())
        assert trainer.epoch == epoch and trainer.step_count == 4 * epoch
        losses = list(trainer.step_losses)[-4:]
        expected = (3 * losses[0] + 3 * losses[1] + 3 * losses[2] + 1 * losses[3]) / 10
        assert trainer.epoch_losses[-1] == pytest.approx(expected, rel=1e-15, abs=0)
        for s in steps:  # each batch's inputs are the rows it names
            assert np.array_equal(s.forward.inputs, trainer.X[s.batch])
    assert orders[0] != list(range(10))  # shuffled
    assert len({tuple(o) for o in orders}) > 1  # a fresh permutation each epoch


def test_without_shuffle_batches_are_in_order() -> None:
    trainer = _ten_samples(3, False)
    batches = [trainer.step().batch.tolist() for _ in range(5)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9], [0, 1, 2]]


def test_online_training_is_one_sample_per_step() -> None:
    trainer = _ten_samples(1, True)
    history = trainer.run_epochs(2)
    assert trainer.step_count == 20
    assert len(history) == 2
    assert history[0] == pytest.approx(sum(trainer.step_losses[:10]) / 10, rel=1e-14)


def test_batch_size_larger_than_the_data_is_full_batch() -> None:
    trainer = _ten_samples(64, False)
    assert trainer.batches_per_epoch == 1
    assert trainer.step().batch.tolist() == list(range(10))


def test_history_is_size_weighted_mean_of_step_losses() -> None:
    net = Network.create([2, 3, 1], ["tanh", "linear"], "mse", seed=0)
    X, T = _data(net, 10)
    trainer = Trainer(net.copy(), X, T, lr=0.05, batch_size=4, shuffle=True, seed=3)
    history = net.train(X, T, epochs=3, lr=0.05, batch_size=4, shuffle=True, seed=3)
    trainer.run_epochs(3)
    losses = list(trainer.step_losses)
    assert len(losses) == 9
    for epoch in range(3):
        a, b, c = losses[3 * epoch : 3 * epoch + 3]
        assert history[epoch] == pytest.approx((4 * a + 4 * b + 2 * c) / 10, rel=1e-15)


def test_changing_batch_size_restarts_the_epoch() -> None:
    trainer = _ten_samples(3, False)
    trainer.step()
    assert trainer.batch_index == 1
    trainer.batch_size = 5
    assert trainer.batch_index == 0 and trainer.batches_per_epoch == 2
    assert trainer.step().batch.tolist() == [0, 1, 2, 3, 4]


def test_callback_can_stop_training_early() -> None:
    net = Network.create([2, 3, 1], ["tanh", "linear"], "mse", seed=0)
    X, T = _data(net, 10)
    seen = []

    def callback(epoch: int, loss: float) -> bool:
        seen.append((epoch, loss))
        return epoch < 3

    history = net.train(X, T, epochs=10, lr=0.05, callback=callback)
    assert [e for e, _ in seen] == [1, 2, 3]
    assert history == [loss for _, loss in seen]


# -- divergence -----------------------------------------------------------------------------


def _regression(optimizer: str = "sgd", lr: float = 50.0, batch_size=3, shuffle=True):
    net = Network.create([2, 1], "linear", "mse", seed=0)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, (10, 2))
    T = X @ np.array([[2.0], [-1.0]]) + 0.5
    return Trainer(
        net, X, T, lr=lr, optimizer=optimizer, batch_size=batch_size, shuffle=shuffle, seed=2
    )


def _run_fast_until_diverged(trainer: Trainer) -> tuple[TrainingDiverged, dict]:
    for _ in range(10_000):
        before = _state(trainer)
        try:
            trainer.run_steps(1)
        except TrainingDiverged as exc:
            return exc, before
    raise AssertionError("training did not diverge")


def _run_phases_until_diverged(trainer: Trainer) -> tuple[TrainingDiverged, dict]:
    for _ in range(10_000):
        before = _state(trainer)
        try:
            while not isinstance(trainer.next_layer(), UpdateRecord):
                pass
        except TrainingDiverged as exc:
            return exc, before
    raise AssertionError("training did not diverge")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_divergence_in_the_fast_path_restores_the_state(optimizer: str) -> None:
    trainer = _regression(optimizer)
    exc, before = _run_fast_until_diverged(trainer)
    match = DIVERGED.match(str(exc))
    assert match, str(exc)
    assert exc.what == match.group(1) and exc.value == match.group(2)
    assert exc.step == int(match.group(3)) == before["step_count"] + 1 > 10
    assert isinstance(exc, ArithmeticError)
    _assert_same_state(_state(trainer), before)
    assert np.all(np.isfinite(trainer.network.parameters))
    assert trainer.progress is None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_divergence_in_the_phase_path_restores_the_state(optimizer: str) -> None:
    fast_exc, _ = _run_fast_until_diverged(_regression(optimizer))
    trainer = _regression(optimizer)
    exc, before = _run_phases_until_diverged(trainer)
    assert str(exc) == str(fast_exc)  # same step, same reason, both paths
    assert DIVERGED.match(str(exc))
    _assert_same_state(_state(trainer), before)
    assert trainer.progress is None


def _blows_up(lr: float, **options) -> Trainer:
    """A regression whose first step overflows the weights when ``lr`` is 1e308."""
    net = Network([[[0.5, -0.5]]], [[0.0]], ["linear"], "mse")
    X = np.array([[1.0, 2.0], [3.0, -1.0], [-2.0, 1.5], [0.5, 2.5]])
    T = np.array([[40.0], [-50.0], [60.0], [-45.0]])
    return Trainer(net, X, T, lr=lr, optimizer="momentum", **options)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("path", ["fast", "phases"])
def test_training_can_go_on_after_divergence_with_a_lower_rate(path: str) -> None:
    """The schedule (shuffled order, batch index) and optimiser survive a failed step.

    The failing step is the first of epoch 2, so it has already drawn that epoch's order.
    """
    diverged = _blows_up(0.01, batch_size=2, shuffle=True, seed=5)
    reference = _blows_up(0.01, batch_size=2, shuffle=True, seed=5)
    diverged.run_steps(2)
    reference.run_steps(2)
    diverged.lr = 1e308
    run = _run_fast_until_diverged if path == "fast" else _run_phases_until_diverged
    exc, before = run(diverged)
    assert exc.step == 3 and exc.what == "weights"
    assert before["epoch"] == 1 and before["batch_index"] == 0
    diverged.lr = 0.01
    for trainer in (diverged, reference):
        trainer.run_steps(7)
    _assert_same_state(_state(diverged), _state(reference))
    assert diverged.step_count == 9


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_network_train_divergence_leaves_the_network_before_the_failing_step() -> None:
    probe = _regression(batch_size=None, shuffle=False)
    exc, before = _run_fast_until_diverged(probe)
    net = Network.create([2, 1], "linear", "mse", seed=0)
    with pytest.raises(TrainingDiverged) as info:
        net.train(probe.X, probe.T, epochs=1000, lr=50.0)
    assert str(info.value) == str(exc)
    assert re.fullmatch(r"loss became inf at step \d+: lower the learning rate", str(exc))
    assert np.array_equal(net.parameters, before["parameters"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("path", ["fast", "phases"])
def test_weights_becoming_infinite(path: str) -> None:
    trainer = _blows_up(1e308)
    net = trainer.network
    gradient = Trainer(net.copy(), trainer.X, trainer.T).step().backward.gradient
    assert np.all(np.isfinite(gradient)) and abs(gradient[0]) > 2.0
    before = _state(trainer)
    run = _run_fast_until_diverged if path == "fast" else _run_phases_until_diverged
    exc, _ = run(trainer)
    # the first weight is the first to overflow: w - 1e308 * g with |g| > 2
    sign = "-inf" if gradient[0] > 0 else "inf"
    assert str(exc) == f"weights became {sign} at step 1: lower the learning rate"
    assert exc.what == "weights" and exc.step == 1 and exc.value == sign
    _assert_same_state(_state(trainer), before)
    assert np.array_equal(trainer.optimizer.velocity, np.zeros(3))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("path", ["fast", "phases"])
def test_gradient_becoming_infinite(path: str) -> None:
    # z = 1.5e308 * 1e-308 = 1.5 keeps the loss finite; dL/dw = delta * x overflows
    net = Network([[[1e-308]]], [None], ["linear"], "mse")
    trainer = Trainer(net, [[1.5e308]], [[0.0]], lr=0.1)
    before = _state(trainer)
    run = _run_fast_until_diverged if path == "fast" else _run_phases_until_diverged
    exc, _ = run(trainer)
    assert str(exc) == "gradient became inf at step 1: lower the learning rate"
    _assert_same_state(_state(trainer), before)
    assert net.parameters.tolist() == [1e-308]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("path", ["fast", "phases"])
def test_divergence_of_a_large_network_restores_the_state(path: str) -> None:
    """Beyond DOT_TEST_LIMIT parameters the quick finiteness test is a sum, not a dot."""
    net = Network.create([120, 100, 1], "linear", "mse", seed=0)
    assert net.parameters.size > DOT_TEST_LIMIT
    rng = np.random.default_rng(0)
    X, T = rng.uniform(-1.0, 1.0, (8, 120)), rng.uniform(-1.0, 1.0, (8, 1))
    trainer = Trainer(net, X, T, lr=1e3, batch_size=4, optimizer="momentum")
    run = _run_fast_until_diverged if path == "fast" else _run_phases_until_diverged
    exc, before = run(trainer)
    assert DIVERGED.match(str(exc)) and exc.step > 1
    _assert_same_state(_state(trainer), before)
    assert np.all(np.isfinite(net.parameters))


@pytest.mark.parametrize("inputs", [2, 12_000])
def test_huge_finite_weights_are_not_divergence(inputs: int) -> None:
    """Weights of 1e308 overflow the quick test (their squares, their sum); the check
    one by one then finds them finite and training goes on."""
    net = Network([np.full((1, inputs), 1e308)], [[0.0]], ["linear"], "mse")
    X, T = np.zeros((4, inputs)), np.ones((4, 1))  # zero inputs: the weights' gradient is 0
    trainer = Trainer(net, X, T, lr=0.1)
    trainer.run_steps(3)
    trainer.step()
    assert trainer.step_count == 4
    assert np.all(net.layers[0].weight == 1e308)
    assert net.layers[0].bias[0] > 0.0  # the bias learned


# -- the Network.train API ------------------------------------------------------------------

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def test_train_returns_one_loss_per_epoch_and_learns() -> None:
    net = Network.create([2, 4, 1], activations=["tanh", "sigmoid"], loss="mse", seed=0)
    assert net.sizes == [2, 4, 1] and net.activations == ["tanh", "sigmoid"]
    history = net.train(
        XOR_X, XOR_Y, epochs=100, lr=0.5, batch_size=None, shuffle=False, optimizer="sgd"
    )
    assert len(history) == 100
    assert all(isinstance(loss, float) for loss in history)
    assert history[-1] < 0.75 * history[0]
    assert all(b <= a for a, b in zip(history, history[1:]))  # full batch, small steps


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_is_learned(seed: int) -> None:
    net = Network.create([2, 4, 1], activations=["tanh", "sigmoid"], loss="mse", seed=seed)
    history = net.train(XOR_X, XOR_Y, epochs=2000, lr=2.0)
    outputs = net.predict(XOR_X)
    assert np.array_equal(outputs > 0.5, XOR_Y > 0.5)
    assert np.max(np.abs(outputs - XOR_Y)) < 0.1
    assert history[-1] < 0.01 < history[0]


def test_predict_matches_the_forward_record() -> None:
    net = Network.create([2, 4, 1], activations=["tanh", "sigmoid"], loss="mse", seed=0)
    assert np.array_equal(net.predict(XOR_X), net.forward(XOR_X).outputs)
    assert net.predict(XOR_X).shape == (4, 1)
    assert net.describe() == "2-4-1 (tanh, sigmoid), mse"


# -- validation -----------------------------------------------------------------------------


def test_softmax_on_a_hidden_layer_is_refused() -> None:
    with pytest.raises(ValueError, match=r"layers\[0\]: softmax is only allowed on the output"):
        Network.create([2, 3, 2], ["softmax", "softmax"], "cross_entropy")


def test_cross_entropy_needs_softmax() -> None:
    with pytest.raises(ValueError, match="cross_entropy loss needs a softmax output layer"):
        Network.create([2, 3, 2], ["tanh", "sigmoid"], "cross_entropy")
    with pytest.raises(ValueError, match="softmax output layer needs the cross_entropy loss"):
        Network.create([2, 3, 2], ["tanh", "softmax"], "mse")
    with pytest.raises(ValueError, match="binary_cross_entropy loss needs a sigmoid output"):
        Network.create([2, 1], ["linear"], "binary_cross_entropy")


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'swish' \(known: sigmoid"):
        Network.create([2, 1], ["swish"])
    with pytest.raises(ValueError, match=r"unknown loss 'hinge' \(known: mse"):
        Network.create([2, 1], ["linear"], "hinge")
    net = Network.create([2, 1], ["linear"])
    with pytest.raises(ValueError, match=r"unknown optimizer 'rmsprop' \(known: sgd"):
        net.train(XOR_X, XOR_Y, optimizer="rmsprop")
    with pytest.raises(ValueError, match="unknown regularization 'l3'"):
        net.train(XOR_X, XOR_Y, regularization="l3", regularization_rate=0.1)
    with pytest.raises(ValueError, match="unknown initializer 'zeros'"):
        Network.create([2, 1], init="zeros")


def test_bad_shapes_to_predict() -> None:
    net = Network.create([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(
        ValueError, match=re.escape("inputs must have shape (samples, 2), got (4, 3)")
    ):
        net.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=re.escape("got (2,)")):
        net.predict(np.zeros(2))
    with pytest.raises(ValueError, match=re.escape("got (1, 2, 2)")):
        net.predict(np.zeros((1, 2, 2)))
    # a single-input network takes a flat vector of samples
    single = Network.create([1, 1], "linear", seed=0)
    assert single.predict(np.array([1.0, 2.0, 3.0])).shape == (3, 1)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused(value: float) -> None:
    net = Network.create([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    X = np.array([[0.0, 1.0], [2.0, value]])
    with pytest.raises(ValueError, match=r"inputs row 2, column 2: .* is not finite"):
        net.predict(X)
    with pytest.raises(ValueError, match=r"training inputs row 2, column 2"):
        net.train(X, [[0.0], [1.0]], epochs=1)
    with pytest.raises(ValueError, match=r"targets row 1, column 1 is not a finite number"):
        net.train(np.zeros((2, 2)), [[value], [1.0]], epochs=1)


def test_bad_targets_are_refused() -> None:
    net = Network.create([2, 3], ["softmax"], "cross_entropy", seed=0)
    with pytest.raises(
        ValueError, match=r"^target row 2: class label 3\.0 is not one of 0 \.\. 2$"
    ):
        net.train(np.zeros((2, 2)), [0, 3], epochs=1)
    with pytest.raises(ValueError, match=r"there are 2 input rows but 3 target rows"):
        net.train(np.zeros((2, 2)), [0, 1, 2], epochs=1)
    with pytest.raises(ValueError, match=re.escape("targets must have shape (samples, 3)")):
        net.train(np.zeros((2, 2)), np.zeros((2, 2)), epochs=1)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "3"])
def test_bad_batch_size(batch_size) -> None:
    net = Network.create([2, 1], "linear", seed=0)
    with pytest.raises(ValueError, match="batch size must be a whole number of at least 1"):
        net.train(XOR_X, XOR_Y, batch_size=batch_size)
    trainer = Trainer(net, XOR_X, XOR_Y)
    with pytest.raises(ValueError, match="batch size must be a whole number"):
        trainer.batch_size = batch_size
    assert trainer.batch_size is None


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan"), float("inf"), "fast"])
def test_non_positive_learning_rate(lr) -> None:
    net = Network.create([2, 1], "linear", seed=0)
    with pytest.raises(ValueError, match="learning rate must be a"):
        net.train(XOR_X, XOR_Y, lr=lr)
    trainer = Trainer(net, XOR_X, XOR_Y, lr=0.1)
    with pytest.raises(ValueError, match="learning rate must be a"):
        trainer.lr = lr
    assert trainer.lr == 0.1


def test_other_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least two layer sizes"):
        Network.create([3])
    with pytest.raises(ValueError, match="layer size 2 must be at least 1, got 0"):
        Network.create([3, 0, 1])
    with pytest.raises(ValueError, match=r"2 layer\(s\) after the input need 2 activation"):
        Network.create([3, 2, 1], ["tanh"])
    with pytest.raises(ValueError, match="the training data has no samples"):
        Network.create([2, 1], "linear").train(np.zeros((0, 2)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match="epochs must be a whole number of 0 or more"):
        Network.create([2, 1], "linear").train(XOR_X, XOR_Y, epochs=-1)
    with pytest.raises(ValueError, match="regularization rate must be >= 0"):
        Regularization("l2", -1.0)
    with pytest.raises(ValueError, match=r"layers\[1\].weight: expected 3 columns"):
        Network([np.zeros((3, 2)), np.zeros((1, 4))], [None, None], ["tanh", "linear"])
    with pytest.raises(ValueError, match=r"layers\[0\].bias: expected 3 values"):
        Network([np.zeros((3, 2))], [np.zeros(2)], ["linear"])
    with pytest.raises(
        ValueError, match=r"layers.0.weight contains a value that is not a finite number"
    ):
        Network([[[np.nan]]], [None], ["linear"])
    net = Network.create([2, 1], "linear", bias=False)
    with pytest.raises(ValueError, match="layers.0 has no bias"):
        net.set_bias(0, 0, 1.0)
    with pytest.raises(ValueError, match="not a finite number"):
        net.set_weight(0, 0, 0, float("inf"))
    with pytest.raises(ValueError, match="expected 2 parameters"):
        net.set_parameters(np.zeros(3))
