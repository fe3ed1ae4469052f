"""Early stopping: the patience rule on a hand-made loss sequence, a real overfitting run that
stops and keeps its best weights, sessions, and every bad argument."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bp_studio.engine import Network, Trainer, TrainingDiverged
from bp_studio.engine.early_stopping import (
    EarlyStopping,
    train_with_early_stopping,
    validation_loss,
)


def probe() -> Network:
    """``o = w x`` with mse: on the single validation sample x = 1, t = 0, ``V = w² / 2``."""
    return Network([[[1.0]]], [None], ["linear"], "mse")


def set_loss(net: Network, loss: float) -> None:
    net.layers[0].weight[0, 0] = math.sqrt(2.0 * loss)


def test_the_patience_rule_on_a_hand_made_sequence() -> None:
    """Losses 4, 3, 3.5, 2, 2.5, 2.2, 2.1 with patience 3: the best is epoch 3 (V = 2); epochs
    4, 5 and 6 do not improve on it, so the stop comes after epoch 6."""
    net = probe()
    stopper = EarlyStopping(net, np.array([[1.0]]), np.array([[0.0]]), patience=3)
    sequence = [4.0, 3.0, 3.5, 2.0, 2.5, 2.2, 2.1]
    answers = []
    for epoch, loss in enumerate(sequence):
        set_loss(net, loss)
        answers.append(stopper.update(epoch))
    assert answers == [False, False, False, False, False, False, True]
    assert stopper.stopped_epoch == 6 and stopper.stopped
    assert stopper.best_epoch == 3 and stopper.best_loss == pytest.approx(2.0)
    assert stopper.losses == pytest.approx(sequence) and stopper.epochs == list(range(7))
    assert stopper.wait == 3
    assert stopper.restore()
    assert net.layers[0].weight[0, 0] == math.sqrt(4.0)
    assert validation_loss(net, stopper.X, stopper.T) == stopper.best_loss


def test_min_delta_asks_for_a_real_improvement() -> None:
    net = probe()
    stopper = EarlyStopping(net, np.array([[1.0]]), np.array([[0.0]]), 2, min_delta=0.1)
    for epoch, loss in enumerate([1.0, 0.95, 0.91, 0.85]):
        set_loss(net, loss)
        stopper.update(epoch)
    # 0.95 and 0.91 are within 0.1 of 1.0: two epochs without improvement. 0.85 comes too
    # late: a stopped stopper stays stopped and keeps its best.
    assert stopper.stopped_epoch == 2 and stopper.best_epoch == 0
    assert stopper.losses[-1] == pytest.approx(0.85)


def test_a_loss_that_is_not_finite_is_never_an_improvement() -> None:
    net = probe()
    stopper = EarlyStopping(net, np.array([[1.0]]), np.array([[0.0]]), 5)
    set_loss(net, 1.0)
    stopper.update(0)
    net.parameters[0] = 1e200  # (1e200)^2 overflows: V = inf
    stopper.update(1)
    assert stopper.losses[1] == math.inf and stopper.best_epoch == 0 and stopper.wait == 1
    stopper2 = EarlyStopping(net, np.array([[1.0]]), np.array([[0.0]]), 5)
    stopper2.update(0)
    assert stopper2.best_parameters is None and not stopper2.restore()


def overfitting_run(patience: int = 20):
    rng = np.random.default_rng(0)

    def data(n):
        X = rng.uniform(-3, 3, (n, 1))
        return X, np.sin(X) + rng.normal(0, 0.3, (n, 1))

    X_train, T_train = data(12)
    X_val, T_val = data(60)
    net = Network.create([1, 32, 32, 1], ["tanh", "tanh", "linear"], seed=0)
    trainer = Trainer(net, X_train, T_train, lr=0.01, optimizer="adam")
    stopper = EarlyStopping(net, X_val, T_val, patience=patience)
    return trainer, stopper


def test_an_overfitting_run_stops_and_keeps_its_best_weights() -> None:
    trainer, stopper = overfitting_run()
    seen = []
    result = train_with_early_stopping(trainer, stopper, 3000, lambda e, loss: seen.append(e))
    assert result.stopped_epoch is not None and result.stopped_epoch < 3000
    assert result.stopped_epoch == result.best_epoch + 20
    assert result.epochs_run == result.stopped_epoch == trainer.epoch
    assert seen == list(range(1, trainer.epoch + 1))
    assert len(result.validation_losses) == result.epochs_run + 1  # the start and every epoch
    assert result.best_loss == min(result.validation_losses)
    assert result.validation_losses[result.best_epoch] == result.best_loss
    assert result.validation_losses[-1] > result.best_loss  # it got worse: overfitting
    assert result.losses == list(trainer.epoch_losses)
    assert validation_loss(trainer.network, stopper.X, stopper.T) == result.best_loss
    # The same run without early stopping, stopped by hand at the best epoch: same weights.
    again, _ = overfitting_run()
    again.run_epochs(result.best_epoch)
    assert np.array_equal(again.network.parameters, trainer.network.parameters)


def test_running_out_of_epochs_still_restores_the_best() -> None:
    trainer, stopper = overfitting_run(patience=1000)
    result = train_with_early_stopping(trainer, stopper, 150)
    assert result.stopped_epoch is None and result.epochs_run == 150
    assert validation_loss(trainer.network, stopper.X, stopper.T) == result.best_loss


def test_a_callback_can_stop_too() -> None:
    trainer, stopper = overfitting_run()
    result = train_with_early_stopping(trainer, stopper, 3000, lambda e, loss: e < 5)
    assert result.epochs_run == 5 and result.stopped_epoch is None


def test_divergence_restores_the_best_weights_and_raises() -> None:
    rng = np.random.default_rng(1)
    X, T = rng.normal(0, 1, (20, 2)), rng.normal(0, 1, (20, 1))
    net = Network.create([2, 8, 1], ["relu", "linear"], seed=1)
    trainer = Trainer(net, X, T, lr=1e6)
    stopper = EarlyStopping(net, X, T, patience=5)
    start = net.parameters.copy()
    with pytest.raises(TrainingDiverged):
        train_with_early_stopping(trainer, stopper, 100)
    assert stopper.best_epoch == 0
    assert np.array_equal(net.parameters, start)


def test_a_stopper_goes_into_a_session_and_back() -> None:
    trainer, stopper = overfitting_run()
    train_with_early_stopping(trainer, stopper, 3000)
    data = json.loads(json.dumps(stopper.to_dict()))
    back = EarlyStopping.from_dict(data, trainer.network, stopper.X, stopper.T)
    assert back.losses == stopper.losses and back.epochs == stopper.epochs
    assert back.best_loss == stopper.best_loss and back.best_epoch == stopper.best_epoch
    assert np.array_equal(back.best_parameters, stopper.best_parameters)
    assert back.stopped_epoch == stopper.stopped_epoch and back.wait == stopper.wait
    fresh = EarlyStopping(trainer.network, stopper.X, stopper.T, 3)
    assert (
        EarlyStopping.from_dict(fresh.to_dict(), trainer.network, stopper.X, stopper.T).best_loss
        == math.inf
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"patience": None}, "early_stopping.patience: missing"),
        ({"best_parameters": [1.0, 2.0]}, "early_stopping.best_parameters: expected 1153 finite"),
        ({"losses": [1.0]}, r"early_stopping: \d+ epochs but 1 validation losses"),
    ],
)
def test_bad_session_fields_are_named(change: dict, message: str) -> None:
    trainer, stopper = overfitting_run()
    train_with_early_stopping(trainer, stopper, 3000)
    data = stopper.to_dict()
    for key, value in change.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    with pytest.raises(ValueError, match=message):
        EarlyStopping.from_dict(data, trainer.network, stopper.X, stopper.T)


def test_bad_arguments_are_named() -> None:
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    X, T = np.ones((4, 2)), np.ones((4, 1))
    for patience, message in ((0, "at least 1 epoch"), (2.5, "whole number"), (True, "whole")):
        with pytest.raises(ValueError, match=f"patience must be .*{message}"):
            EarlyStopping(net, X, T, patience)
    with pytest.raises(ValueError, match="min_delta must be a number of 0 or more"):
        EarlyStopping(net, X, T, 3, min_delta=-1.0)
    with pytest.raises(ValueError, match=r"validation inputs must have shape \(samples, 2\)"):
        EarlyStopping(net, np.ones((4, 3)), T, 3)
    with pytest.raises(ValueError, match="the validation data has no samples"):
        EarlyStopping(net, np.ones((0, 2)), np.ones((0, 1)), 3)
    with pytest.raises(ValueError, match="there are 4 input rows but 3 target rows"):
        EarlyStopping(net, X, np.ones((3, 1)), 3)
    other = Trainer(Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=0), X, T)
    with pytest.raises(ValueError, match="watches another network"):
        train_with_early_stopping(other, EarlyStopping(net, X, T, 3), 10)
