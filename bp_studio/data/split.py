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

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from bp_studio.data.examples import Dataset

__all__ = ["MAX_TEST_RATIO", "check_test_ratio", "split"]

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

    if dataset.classes is not None and samples > 0:
        labels = dataset.T[:, 0].astype(np.int64)
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    else:
        groups = [np.arange(samples)]
    counts = _test_counts([len(g) for g in groups], ratio, total)
    test_parts = [rng.permutation(group)[:count] for group, count in zip(groups, counts)]
    test_mask = np.zeros(samples, dtype=bool)
    for part in test_parts:
        test_mask[part] = True

    def part(mask: np.ndarray, label: str) -> Dataset:
        return dataclasses.replace(
            dataset,
            X=dataset.X[mask],
            T=dataset.T[mask],
            title=f"{dataset.title} ({label}: {int(mask.sum())} samples)",
        )

    return part(~test_mask, "training"), part(test_mask, "test")
