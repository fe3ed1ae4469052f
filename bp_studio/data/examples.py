"""Small ready-made data sets that the window opens with, so a newcomer can press Step at once.

A ``Dataset`` holds inputs ``X`` ``(samples, inputs)`` and targets ``T`` ``(samples, outputs)``,
with names for the columns. Classification sets with two classes keep one 0/1 target column;
``targets_for_loss`` turns it into one-hot columns for a softmax/cross-entropy network.

An example made for one network (the worked example, the glossary network) carries it as an
``ExampleNetwork``: plain data (sizes, activations, biases, loss, training settings and, when
published, the initial weights) that the studio reads to build and train it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ExampleNetwork:
    """The network and training settings an example is made for.

    ``sizes`` runs from the inputs to the outputs; ``activations`` and ``bias`` have one entry
    per layer after the input. ``weights`` (``(units, inputs)`` per layer) and ``biases``
    (``None`` for a layer without) are the published initial values; without them the weights
    are drawn by ``init`` from ``seed``. ``batch_size=None`` is the full batch.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    bias: tuple[bool, ...]
    loss: str
    lr: float
    batch_size: int | None
    optimizer: str = "sgd"
    shuffle: bool = False
    init: str = "xavier"
    seed: int = 0
    weights: tuple | None = None
    biases: tuple | None = None


@dataclass(frozen=True)
class Dataset:
    """Inputs ``X`` ``(samples, inputs)``, targets ``T`` ``(samples, outputs)`` and their names.

    ``classes`` names the classes of a classification set whose single target column holds
    the class number (``None`` for regression and for multi-output targets).
    """

    name: str
    title: str
    X: np.ndarray
    T: np.ndarray
    input_names: tuple[str, ...]
    target_names: tuple[str, ...]
    classes: tuple[str, ...] | None = None
    source: str = ""
    network: ExampleNetwork | None = None
    """The network this example is made for, if any."""

    @property
    def samples(self) -> int:
        return self.X.shape[0]

    @property
    def inputs(self) -> int:
        return self.X.shape[1]

    def one_hot(self, loss: str) -> bool:
        """Whether a network with this loss gets one output per class.

        Yes for ``cross_entropy`` and for three or more classes; two classes with ``mse`` or
        ``binary_cross_entropy`` keep one 0/1 output.
        """
        return self.classes is not None and (loss == "cross_entropy" or len(self.classes) > 2)

    def targets_for_loss(self, loss: str) -> np.ndarray:
        """Targets for a network with this loss: one-hot class columns where ``one_hot``."""
        if self.classes is not None and self.one_hot(loss):
            labels = self.T[:, 0].astype(np.int64)
            return np.eye(len(self.classes))[labels]
        return self.T

    def outputs_for_loss(self, loss: str) -> int:
        """How many output units a network with this loss needs for this data."""
        return self.targets_for_loss(loss).shape[1]

    def target_names_for_loss(self, loss: str) -> tuple[str, ...]:
        if self.classes is not None and self.one_hot(loss):
            return tuple(f"P({name})" for name in self.classes)
        return self.target_names


def _logic(name: str, title: str, column: list[float]) -> Dataset:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return Dataset(
        name,
        title,
        X,
        np.array(column).reshape(-1, 1),
        ("x1", "x2"),
        ("y",),
        classes=("0", "1"),
        source="truth table",
    )


WORKED_EXAMPLE_WEIGHTS = (
    [[0.15, 0.20], [0.25, 0.30]],
    [[0.40, 0.45], [0.50, 0.55]],
)
WORKED_EXAMPLE_BIASES = ([0.35, 0.35], [0.60, 0.60])
"""The weights of the worked example, whose every number is published."""

# A 3 x 3 grid; the first sample is not (0, 0), whose step would leave layer 1 unchanged.
_GRID = np.array([[a, b] for a in (0.5, 1.0, 0.0) for b in (0.5, 1.0, 0.0)])

EXAMPLES: dict[str, Dataset] = {
    d.name: d
    for d in (
        _logic("xor", "XOR (4 samples)", [0.0, 1.0, 1.0, 0.0]),
        _logic("and", "AND (4 samples)", [0.0, 0.0, 0.0, 1.0]),
        _logic("or", "OR (4 samples)", [0.0, 1.0, 1.0, 1.0]),
        Dataset(
            "worked_example",
            "Worked example: 2-2-2, one sample",
            np.array([[0.05, 0.10]]),
            np.array([[0.01, 0.99]]),
            ("i1", "i2"),
            ("o1", "o2"),
            source="the classic hand-worked backpropagation example (Mazur, 2015)",
            network=ExampleNetwork(
                sizes=(2, 2, 2),
                activations=("sigmoid", "sigmoid"),
                bias=(True, True),
                loss="mse",
                lr=0.5,
                batch_size=None,
                weights=WORKED_EXAMPLE_WEIGHTS,
                biases=WORKED_EXAMPLE_BIASES,
            ),
        ),
        Dataset(
            "glossary",
            "Glossary network: y = x1 · x2 (9 samples)",
            _GRID,
            (_GRID[:, 0] * _GRID[:, 1]).reshape(-1, 1),
            ("x1", "x2"),
            ("y",),
            source="the glossary entry's network: one sigmoid hidden layer, a linear output, "
            "no biases, 1/2 squared error, one sample at a time, plain gradient descent",
            network=ExampleNetwork(
                sizes=(2, 3, 1),
                activations=("sigmoid", "linear"),
                bias=(False, False),
                loss="mse",
                lr=0.5,
                batch_size=1,
            ),
        ),
    )
}
"""Built-in example data sets by name, in menu order."""
