"""Training refuses targets outside the loss's domain and arguments of the wrong kind
(issue 13, point 13): garbage in used to train to a negative loss and write the weights."""

from __future__ import annotations

import numpy as np
import pytest

from bp_studio.engine import Network, Trainer

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def bce_net() -> Network:
    return Network.create([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", seed=0)


def ce_net() -> Network:
    return Network.create([2, 3, 3], ["tanh", "softmax"], "cross_entropy", seed=0)


@pytest.mark.parametrize("bad", [2.0, -1.0, 1.0000001])
def test_binary_cross_entropy_needs_targets_in_0_1(bad: float) -> None:
    T = np.array([[0.0], [1.0], [bad], [0.5]])
    with pytest.raises(ValueError) as info:
        Trainer(bce_net(), X, T)
    assert str(info.value) == (
        f"targets row 3, column 1: {bad!r} is outside 0 .. 1; binary_cross_entropy needs "
        "targets that are probabilities (usually 0 or 1)"
    )
    with pytest.raises(ValueError, match="targets row 3, column 1"):
        bce_net().train(X, T, epochs=1)


def test_cross_entropy_needs_one_hot_rows_or_class_labels() -> None:
    T = np.array([[1.0, 0, 0], [0, 2.0, -1.0], [0, 0, 1.0], [0, 1.0, 0]])
    with pytest.raises(ValueError) as info:
        Trainer(ce_net(), X, T)
    assert str(info.value) == (
        "targets row 2, column 2: 2.0 is outside 0 .. 1; cross_entropy needs one-hot rows "
        "(or a single column of class labels 0 .. 2)"
    )
    T = np.array([[1.0, 0, 0], [0, 0.5, 0.4], [0, 0, 1.0], [0, 1.0, 0]])
    with pytest.raises(ValueError) as info:
        Trainer(ce_net(), X, T)
    assert str(info.value) == (
        "targets row 2: the row sums to 0.9; cross_entropy needs rows that sum to 1 "
        "(one-hot, or probabilities) or a single column of class labels 0 .. 2"
    )
    with pytest.raises(ValueError, match=r"target row 2: class label 3.0 is not one of 0 .. 2"):
        Trainer(ce_net(), X, np.array([0, 3, 1, 2]))
    # soft labels that sum to 1, and class labels, are fine
    Trainer(ce_net(), X, np.array([[0.2, 0.8, 0], [0, 1, 0], [0.1, 0.1, 0.8], [1, 0, 0]]))
    Trainer(ce_net(), X, np.array([0, 2, 1, 2]))


def test_mse_takes_any_finite_target() -> None:
    net = Network.create([2, 3, 1], ["tanh", "linear"], "mse", seed=0)
    Trainer(net, X, np.array([[-5.0], [2.0], [1e6], [0.0]]))


WRONG_ARGUMENTS = [
    ({"epochs": 2.5}, "epochs must be a whole number of 0 or more, got 2.5"),
    ({"epochs": True}, "epochs must be a whole number of 0 or more, got True"),
    ({"epochs": "3"}, "epochs must be a whole number of 0 or more, got '3'"),
    ({"epochs": -1}, "epochs must be a whole number of 0 or more, got -1"),
    ({"lr": "0.5"}, "learning rate must be a number, got '0.5'"),
    ({"lr": True}, "learning rate must be a number, got True"),
    ({"lr": 0.0}, "learning rate must be a positive finite number, got 0.0"),
    ({"shuffle": "yes"}, "shuffle must be True or False, got 'yes'"),
    ({"shuffle": 1}, "shuffle must be True or False, got 1"),
    ({"seed": 1.5}, "seed must be a whole number of 0 or more (or None), got 1.5"),
    ({"seed": True}, "seed must be a whole number of 0 or more (or None), got True"),
    ({"batch_size": 2.0}, "batch size must be a whole number of at least 1 (or full), got 2.0"),
    ({"optimizer": 3}, "optimizer must be a name such as 'sgd', got 3"),
]


@pytest.mark.parametrize(("changes", "message"), WRONG_ARGUMENTS)
def test_network_train_refuses_arguments_of_the_wrong_kind(changes: dict, message: str) -> None:
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "mse", seed=0)
    before = net.parameters.copy()
    with pytest.raises(ValueError) as info:
        net.train(X, np.array([[0.0], [1.0], [1.0], [0.0]]), **changes)
    assert str(info.value) == message
    assert net.parameters.tobytes() == before.tobytes()


def test_trainer_refuses_arguments_of_the_wrong_kind() -> None:
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "mse", seed=0)
    T = np.array([[0.0], [1.0], [1.0], [0.0]])
    with pytest.raises(ValueError, match="learning rate must be a number, got '0.5'"):
        Trainer(net, X, T, lr="0.5")
    trainer = Trainer(net, X, T)
    with pytest.raises(ValueError, match="learning rate must be a number, got '0.5'"):
        trainer.lr = "0.5"
    with pytest.raises(ValueError, match="shuffle must be True or False"):
        trainer.shuffle = "no"
    with pytest.raises(ValueError, match="steps must be a whole number of 0 or more, got 2.5"):
        trainer.run_steps(2.5)
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        trainer.run_epochs(np.float64(2.0))
    trainer.run_epochs(np.int64(2))
    trainer.shuffle = np.True_
    assert trainer.epoch == 2 and trainer.shuffle is True
