"""Derived inputs for 2-D data sets, as in TensorFlow Playground.

From the two input columns ``x1 = X[:, 0]`` and ``x2 = X[:, 1]`` of a ``(samples, 2)`` array
(whatever the columns are called), each feature is one new column ``(samples,)``:

- ``x1``, ``x2``: the inputs themselves;
- ``x1^2`` = ``x1 ** 2``, ``x2^2`` = ``x2 ** 2``: squares (circles become separable);
- ``x1*x2`` = ``x1 * x2``: the product (XOR becomes separable: its sign is the class);
- ``sin(x1)``, ``sin(x2)``: sines (radians).

``with_features(dataset, names)`` replaces the inputs of a 2-D data set by the chosen
features, in the order given: ``X`` becomes ``(samples, len(names))`` and ``input_names``
becomes ``tuple(names)``. ``apply_features(X, names)`` does the same to a bare array, e.g. the
grid of points where the window draws the decision regions.

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from bp_studio.data.examples import Dataset

__all__ = ["FEATURES", "apply_features", "with_features"]

FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda X: X[:, 0].copy(),
    "x2": lambda X: X[:, 1].copy(),
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}
"""Feature name -> function of the ``(samples, 2)`` raw inputs giving a ``(samples,)`` column."""


def _check_names(names: Sequence[str]) -> list[str]:
    if isinstance(names, str):
        raise TypeError("names must be a sequence of feature names, not a single string")
    chosen = list(names)
    if not chosen:
        raise ValueError("choose at least one feature")
    seen: set[str] = set()
    for name in chosen:
        if name not in FEATURES:
            known = ", ".join(FEATURES)
            raise ValueError(f"unknown feature {name!r} (known: {known})")
        if name in seen:
            raise ValueError(f"the feature {name!r} is chosen twice")
        seen.add(name)
    return chosen


def apply_features(X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The features ``names`` of raw 2-D inputs ``X`` ``(samples, 2)``: ``(samples, len(names))``.

    Raises ``ValueError`` for an unknown or repeated name, no names, or ``X`` not of shape
    ``(samples, 2)``.
    """
    chosen = _check_names(names)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"features need inputs of shape (samples, 2), got {X.shape}")
    columns = [FEATURES[name](X) for name in chosen]
    return np.column_stack(columns) if columns else np.empty((X.shape[0], 0))


def with_features(dataset: Dataset, names: Sequence[str]) -> Dataset:
    """``dataset`` with its two inputs replaced by the features ``names`` (in that order).

    Targets, classes, name, title and source are kept. Raises ``ValueError`` naming an
    unknown feature, or naming the data set if it does not have exactly two inputs.
    """
    if dataset.inputs != 2:
        raise ValueError(
            f"features need a data set with 2 inputs (x1, x2); {dataset.name!r} has "
            f"{dataset.inputs}"
        )
    X = apply_features(dataset.X, names)
    return dataclasses.replace(dataset, X=X, input_names=tuple(names))
