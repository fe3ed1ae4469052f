"""Split a data set into a training part and a test part.

``split(dataset, test_ratio, seed)`` puts every sample in exactly one part:

- the test part gets ``n_test = floor(samples * test_ratio + 0.5)`` samples, but never all of
  them (at least one sample stays for training when there are any);
- for a classification set (``dataset.classes`` set, class numbers in ``T[:, 0]``) the split is
  stratified: class ``c`` with ``n_c`` samples gives ``floor(n_c * test_ratio)`` samples to
  the test part, and the samples still missing from ``n_test`` come one each from the classes
  with the largest remainders ``n_c * test_ratio - floor(...)`` (ties: lower class first). A
  class never gives away its last training sample. So each class gives ``n_c * test_ratio``
  samples rounded down or up, and the test part has ``n_test`` samples unless some class was
  too small to give its share (then it has fewer);
- which samples of a class (or of the whole set, for regression) go to the test part is drawn
  by ``numpy.random.default_rng(seed).permutation``; the same arguments give the same split.

Both parts keep the data set's original row order, its names and classes; their titles say
which part they are. ``X`` parts have shapes ``(train, inputs)`` and ``(test, inputs)``;
``test_ratio = 0`` gives an empty test part of shape ``(0, inputs)``.

``three_way_split(dataset, test_ratio, validation_ratio, seed)`` adds a validation part (for
early stopping): first the test part exactly as ``split`` draws it, then, from the rest and
with the same generator continued, ``n_val = floor(samples * validation_ratio + 0.5)``
samples (at most all but one of the rest), stratified in the same way. Both shares are of
the whole data set and together at most ``MAX_TEST_RATIO``.

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from bp_studio.data.examples import Dataset

__all__ = [
    "MAX_TEST_RATIO",
    "check_shares",
    "check_test_ratio",
    "class_labels",
    "split",
    "split_rows",
    "three_way_split",
]

MAX_TEST_RATIO = 0.9


def check_test_ratio(test_ratio: float) -> str | None:
    """``None`` if ``split`` accepts ``test_ratio``, else a one-line message."""
    real = isinstance(test_ratio, (int, float, np.integer, np.floating)) and not isinstance(
        test_ratio, bool
    )
    if not real or not 0.0 <= float(test_ratio) <= MAX_TEST_RATIO:
        return (
            f"the test share must be a number from 0 to {MAX_TEST_RATIO:g} "
            f"(0% to {MAX_TEST_RATIO:.0%}), got {test_ratio!r}"
        )
    return None


def _is_share(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return 0.0 <= float(value) <= MAX_TEST_RATIO


def check_shares(test_ratio: float, validation_ratio: float) -> str | None:
    """``None`` if ``three_way_split`` accepts the two shares, else a one-line message."""
    problem = check_test_ratio(test_ratio)
    if problem is not None:
        return problem
    if not _is_share(validation_ratio):
        return (
            f"the validation share must be a number from 0 to {MAX_TEST_RATIO:g} "
            f"(0% to {MAX_TEST_RATIO:.0%}), got {validation_ratio!r}"
        )
    if float(test_ratio) + float(validation_ratio) > MAX_TEST_RATIO + 1e-12:
        return (
            f"the test and validation shares together must be at most {MAX_TEST_RATIO:.0%}, "
            f"got {float(test_ratio):.0%} + {float(validation_ratio):.0%}"
        )
    return None


def _test_counts(sizes: list[int], ratio: float, total: int) -> list[int]:
    """How many samples of each group go to the test part (largest remainder, capped)."""
    exact = [size * ratio for size in sizes]
    counts = [min(math.floor(x), max(size - 1, 0)) for x, size in zip(exact, sizes)]
    missing = total - sum(counts)
    order = sorted(range(len(sizes)), key=lambda g: (-(exact[g] - math.floor(exact[g])), g))
    for g in order:  # at most one more sample per group, so every share stays within one
        if missing <= 0:
            break
        if counts[g] < min(math.ceil(exact[g]), sizes[g] - 1):
            counts[g] += 1
            missing -= 1
    return counts


def split(dataset: Dataset, test_ratio: float, seed: int = 0) -> tuple[Dataset, Dataset]:
    """``(train, test)``: ``dataset`` split as described in the module docstring.

    Raises ``ValueError`` if ``test_ratio`` is not a number from 0 to 0.9.
    """
    problem = check_test_ratio(test_ratio)
    if problem is not None:
        raise ValueError(problem)
    ratio = float(test_ratio)
    samples = dataset.samples
    rng = np.random.default_rng(seed)
    total = min(math.floor(samples * ratio + 0.5), max(samples - 1, 0))
    test_mask = _draw(dataset, np.arange(samples), ratio, total, rng)
    return _part(dataset, ~test_mask, "training"), _part(dataset, test_mask, "test")


def _draw(
    dataset: Dataset, rows: np.ndarray, ratio: float, total: int, rng: np.random.Generator
) -> np.ndarray:
    """A mask over all of ``dataset``'s rows: ``total`` of ``rows`` drawn, stratified by class
    as the module docstring says (``ratio`` = ``total / len(rows)``, the share of each class)."""
    mask = np.zeros(dataset.samples, dtype=bool)
    if dataset.classes is not None and len(rows) > 0:
        labels = dataset.T[rows, 0].astype(np.int64)
        groups = [rows[labels == c] for c in np.unique(labels)]
    else:
        groups = [rows]
    counts = _test_counts([len(g) for g in groups], ratio, total)
    for group, count in zip(groups, counts):
        mask[rng.permutation(group)[:count]] = True
    return mask


def _part(dataset: Dataset, mask: np.ndarray, label: str) -> Dataset:
    return dataclasses.replace(
        dataset,
        X=dataset.X[mask],
        T=dataset.T[mask],
        title=f"{dataset.title} ({label}: {int(mask.sum())} samples)",
    )


def three_way_split(
    dataset: Dataset, test_ratio: float, validation_ratio: float, seed: int = 0
) -> tuple[Dataset, Dataset, Dataset]:
    """``(train, validation, test)``: ``dataset`` split as the module docstring describes.

    The test part is the one ``split(dataset, test_ratio, seed)`` gives. ``ValueError`` if a
    share is not a number from 0 to 0.9 or both together exceed 0.9.
    """
    problem = check_shares(test_ratio, validation_ratio)
    if problem is not None:
        raise ValueError(problem)
    samples = dataset.samples
    rng = np.random.default_rng(seed)
    test_total = min(math.floor(samples * float(test_ratio) + 0.5), max(samples - 1, 0))
    test_mask = _draw(dataset, np.arange(samples), float(test_ratio), test_total, rng)
    rest = np.flatnonzero(~test_mask)
    total = min(math.floor(samples * float(validation_ratio) + 0.5), max(len(rest) - 1, 0))
    ratio = total / len(rest) if len(rest) else 0.0
    validation_mask = _draw(dataset, rest, ratio, total, rng)
    train_mask = ~(test_mask | validation_mask)
    return (
        _part(dataset, train_mask, "training"),
        _part(dataset, validation_mask, "validation"),
        _part(dataset, test_mask, "test"),
    )


def class_labels(T: np.ndarray) -> np.ndarray | None:
    """Class numbers ``(n,)`` of class targets: one column of whole numbers, or one-hot rows
    (the class is the column of the 1); ``None`` for any other targets."""
    T = np.asarray(T, dtype=np.float64)
    if T.ndim != 2 or T.shape[0] == 0 or not np.all(np.isfinite(T)):
        return None
    if T.shape[1] == 1:
        column = T[:, 0]
        return column.astype(np.int64) if np.all(column == np.round(column)) else None
    if np.all((T == 0.0) | (T == 1.0)) and np.all(T.sum(axis=1) == 1.0):
        return T.argmax(axis=1)
    return None


def split_rows(
    samples: int, ratio: float, seed: int = 0, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(kept, held_out)`` row numbers (ascending) of ``samples`` rows: the rows ``split``
    would put in its training and test parts, stratified by ``labels`` (``(n,)`` class
    numbers) when given. For data that is not a ``Dataset`` (the CLI's CSV columns)."""
    rows = np.arange(samples, dtype=np.float64).reshape(-1, 1)
    targets = np.zeros((samples, 1)) if labels is None else np.asarray(labels).reshape(-1, 1)
    classes = None if labels is None else tuple(str(c) for c in np.unique(targets))
    dataset = Dataset("rows", "rows", rows, targets, ("row",), ("class",), classes=classes)
    kept, held_out = split(dataset, ratio, seed)
    return kept.X[:, 0].astype(np.intp), held_out.X[:, 0].astype(np.intp)
