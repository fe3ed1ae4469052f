"""How well the network does on all the data: loss and accuracy, train and test, over time.

``evaluate(network, data, loss)`` computes an ``Evaluation`` from a forward pass over the
whole training set and the test set; ``Evaluations`` keeps the ones measured at steps (the
loss plot's test curve, the loss-history export). The loss is the data loss ``L`` of
``bp_studio.engine.losses`` (mean over samples), without the regularisation penalty.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from bp_studio.data.examples import Dataset
from bp_studio.data.metrics import accuracy
from bp_studio.data.source import PreparedData
from bp_studio.engine import Network


@dataclass(frozen=True)
class Evaluation:
    """Loss and accuracy on the training and test data (``None``: no test data / not classes)."""

    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    validation_loss: float | None = None
    validation_accuracy: float | None = None

    def describe(self) -> str:
        """For the status bar, e.g. ``  ·  test loss 0.12  ·  accuracy 97.5% (test 95.0%)``."""
        text = ""
        if self.validation_loss is not None:
            text += f"  ·  validation loss {self.validation_loss:.6g}"
        if self.test_loss is not None:
            text += f"  ·  test loss {self.test_loss:.6g}"
        if self.train_accuracy is not None:
            text += f"  ·  accuracy {self.train_accuracy:.1%}"
            if self.test_accuracy is not None:
                text += f" (test {self.test_accuracy:.1%})"
        return text


def loss_and_accuracy(network: Network, dataset: Dataset, loss: str) -> tuple[float, float | None]:
    """``(L, accuracy)`` of ``network`` on ``dataset`` (accuracy ``None`` unless classes)."""
    targets = dataset.targets_for_loss(loss)
    record = network.forward(dataset.X)
    last = record.layers[-1]
    value = network.loss.value(last.z, last.a, targets)
    if dataset.classes is None:
        return value, None
    return value, accuracy(last.a, targets)


def evaluate(network: Network, data: PreparedData, loss: str) -> Evaluation:
    """Loss and accuracy of ``network`` on the training and the test data of ``data``."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        train = loss_and_accuracy(network, data.train, loss)
        test = loss_and_accuracy(network, data.test, loss) if data.has_test else None
        validation = (
            loss_and_accuracy(network, data.validation, loss)
            if data.validation is not None and data.has_validation
            else None
        )
    return Evaluation(
        train[0],
        None if test is None else test[0],
        train[1],
        None if test is None else test[1],
        None if validation is None else validation[0],
        None if validation is None else validation[1],
    )


class Evaluations:
    """Evaluations measured at steps, in step order (a new one at an earlier step replaces
    the later ones: the run went back in time). Safe to add from one thread while another
    reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.steps: list[int] = []
        self.items: list[Evaluation] = []

    def add(self, step: int, evaluation: Evaluation) -> None:
        with self._lock:
            while self.steps and self.steps[-1] >= step:
                self.steps.pop()
                self.items.pop()
            self.steps.append(step)
            self.items.append(evaluation)

    def latest(self) -> Evaluation | None:
        with self._lock:
            return self.items[-1] if self.items else None

    def at(self, step: int) -> Evaluation | None:
        """The evaluation measured at ``step`` exactly, or ``None``."""
        with self._lock:
            index = np.searchsorted(self.steps, step)
            if index < len(self.steps) and self.steps[index] == step:
                return self.items[index]
            return None

    def copy(self) -> Evaluations:
        other = Evaluations()
        with self._lock:
            other.steps = list(self.steps)
            other.items = list(self.items)
        return other

    def test_curve(self, which: str = "test") -> tuple[np.ndarray, np.ndarray]:
        """``(steps, losses)`` of the evaluations that have a ``which`` (``test`` or
        ``validation``) loss."""
        field = f"{which}_loss"
        with self._lock:
            pairs = [
                (s, getattr(e, field))
                for s, e in zip(self.steps, self.items)
                if getattr(e, field) is not None
            ]
        if not pairs:
            return np.zeros(0), np.zeros(0)
        steps, losses = zip(*pairs)
        return np.array(steps, dtype=float), np.array(losses, dtype=float)
