"""Classification scores: accuracy and the confusion matrix.

``outputs`` are a network's outputs, shape ``(samples, k)``:

- ``k == 1`` (one sigmoid output): the predicted class is ``1`` where ``output >= 0.5``, else
  ``0``;
- ``k > 1`` (softmax or one output per class): the predicted class is ``argmax`` over the row
  (the first of equal maxima).

``targets`` are either one-hot columns ``(samples, k)`` with ``k > 1`` (true class = ``argmax``)
or a class column ``(samples, 1)`` or ``(samples,)`` of class numbers (rounded to whole
numbers), as ``Dataset.T`` holds them.

- ``accuracy = (number of samples whose predicted class equals the true class) / samples``
  (``nan`` when there are no samples);
- ``confusion_matrix[i, j]`` = number of samples of true class ``i`` predicted as class ``j``
  (rows: true class, columns: predicted class), shape ``(classes, classes)``, int64; the
  diagonal holds the correct predictions and ``matrix.sum() == samples``.

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "confusion_matrix", "predicted_classes", "true_classes"]


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Predicted class numbers ``(samples,)`` int64 from outputs ``(samples, k)``."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 1:
        outputs = outputs.reshape(-1, 1)
    if outputs.ndim != 2 or outputs.shape[1] == 0:
        raise ValueError(f"outputs must have shape (samples, outputs), got {outputs.shape}")
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1).astype(np.int64)


def true_classes(targets: np.ndarray, outputs: int | None = None) -> np.ndarray:
    """True class numbers ``(samples,)`` int64 from one-hot targets or a class column.

    ``outputs`` (the width of the outputs, if known) is checked against one-hot targets.
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    if targets.ndim != 2 or targets.shape[1] == 0:
        raise ValueError(f"targets must have shape (samples, columns), got {targets.shape}")
    if targets.shape[1] == 1:
        if not np.all(np.isfinite(targets)):
            raise ValueError("targets must be finite class numbers")
        return np.rint(targets[:, 0]).astype(np.int64)
    if outputs is not None and outputs != targets.shape[1]:
        raise ValueError(
            f"targets have {targets.shape[1]} one-hot columns but the outputs have {outputs}"
        )
    return np.argmax(targets, axis=1).astype(np.int64)


def _pair(outputs: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    outputs = np.asarray(outputs, dtype=np.float64)
    predicted = predicted_classes(outputs)
    width = 1 if outputs.ndim == 1 else outputs.shape[1]
    true = true_classes(targets, width)
    if predicted.shape != true.shape:
        raise ValueError(
            f"outputs have {predicted.shape[0]} samples but targets have {true.shape[0]}"
        )
    return predicted, true


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """The share of samples classified correctly, from 0 to 1 (``nan`` for no samples)."""
    predicted, true = _pair(outputs, targets)
    if predicted.size == 0:
        return float("nan")
    return float(np.mean(predicted == true))


def confusion_matrix(outputs: np.ndarray, targets: np.ndarray, classes: int) -> np.ndarray:
    """``(classes, classes)`` counts: rows are true classes, columns predicted classes.

    Raises ``ValueError`` if a true or predicted class number is outside ``0 .. classes-1``.
    """
    classes = int(classes)
    if classes < 1:
        raise ValueError(f"classes must be at least 1, got {classes}")
    predicted, true = _pair(outputs, targets)
    for what, values in (("true", true), ("predicted", predicted)):
        if values.size and (values.min() < 0 or values.max() >= classes):
            bad = values[(values < 0) | (values >= classes)][0]
            raise ValueError(f"{what} class {bad} is outside 0 .. {classes - 1}")
    counts = np.bincount(true * classes + predicted, minlength=classes * classes)
    return counts.reshape(classes, classes).astype(np.int64)
