"""Tests for bp_studio.data.split: partition, stratification, seeds and validation."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bp_studio.data.examples import Dataset
from bp_studio.data.generators import generate
from bp_studio.data.split import (
    check_shares,
    check_test_ratio,
    class_labels,
    split,
    split_rows,
    three_way_split,
)

from helpers import fuzz_examples


def labelled(counts: list[int]) -> Dataset:
    """A classification set with ``counts[c]`` samples of class ``c``; ``X[:, 0]`` is the row."""
    labels = np.repeat(np.arange(len(counts)), counts).astype(float)
    n = labels.size
    X = np.column_stack([np.arange(n, dtype=float), labels * 10])
    return Dataset(
        "lab",
        "Labelled",
        X,
        labels.reshape(-1, 1),
        ("row", "x"),
        ("class",),
        classes=tuple(f"c{i}" for i in range(len(counts))),
    )


def rows(part: Dataset) -> list[int]:
    return part.X[:, 0].astype(int).tolist()


def test_every_sample_in_exactly_one_part() -> None:
    data = labelled([30, 50, 20])
    train, test = split(data, 0.25, seed=1)
    assert sorted(rows(train) + rows(test)) == list(range(100))
    assert not set(rows(train)) & set(rows(test))
    assert test.samples == 25 and train.samples == 75
    # the pairs (X, T) stay together
    for part in (train, test):
        np.testing.assert_array_equal(part.X[:, 1], part.T[:, 0] * 10)


def test_stratified_by_class() -> None:
    data = labelled([30, 50, 20])
    _, test = split(data, 0.2, seed=0)
    assert np.bincount(test.T[:, 0].astype(int)).tolist() == [6, 10, 4]


def test_largest_remainder_reaches_the_rounded_total() -> None:
    data = labelled([7, 7, 7])  # 21 * 0.3 = 6.3 -> 6; each class 2.1 -> 2
    _, test = split(data, 0.3, seed=0)
    assert np.bincount(test.T[:, 0].astype(int)).tolist() == [2, 2, 2]
    data = labelled([5, 5, 5])  # 15 * 0.5 = 7.5 -> 8; 2.5 each -> 2 + one extra for class 0
    _, test = split(data, 0.5, seed=0)
    assert np.bincount(test.T[:, 0].astype(int)).tolist() == [3, 3, 2]


def test_a_class_keeps_a_training_sample() -> None:
    data = labelled([1, 1, 10])
    train, test = split(data, 0.9, seed=0)
    assert set(train.T[:, 0].tolist()) == {0.0, 1.0, 2.0}
    assert train.samples >= 3


def test_ratio_zero_gives_an_empty_test_part() -> None:
    data = generate("moons", samples=40)
    train, test = split(data, 0.0, seed=0)
    assert test.X.shape == (0, 2) and test.T.shape == (0, 1)
    assert train.X.tobytes() == data.X.tobytes()


def test_original_order_and_metadata_are_kept() -> None:
    data = labelled([10, 10])
    train, test = split(data, 0.5, seed=3)
    assert rows(train) == sorted(rows(train)) and rows(test) == sorted(rows(test))
    for part in (train, test):
        assert part.name == data.name
        assert part.classes == data.classes
        assert part.input_names == data.input_names
    assert train.title == "Labelled (training: 10 samples)"
    assert test.title == "Labelled (test: 10 samples)"


def test_same_seed_same_split() -> None:
    data = generate("spiral", samples=300, classes=3)
    a = split(data, 0.3, seed=5)
    b = split(data, 0.3, seed=5)
    c = split(data, 0.3, seed=6)
    assert a[1].X.tobytes() == b[1].X.tobytes()
    assert a[1].X.tobytes() != c[1].X.tobytes()


def test_regression_is_split_by_count() -> None:
    data = generate("sine", samples=101)
    train, test = split(data, 0.2, seed=0)
    assert test.samples == 20 and train.samples == 81
    assert test.classes is None


def test_tiny_sets_keep_a_training_sample() -> None:
    one = generate("sine", samples=4)
    one = Dataset("one", "one", one.X[:1], one.T[:1], one.input_names, one.target_names)
    train, test = split(one, 0.9, seed=0)
    assert train.samples == 1 and test.samples == 0


@pytest.mark.parametrize("ratio", [-0.1, 0.91, 1.0, float("nan"), "0.2", None, True])
def test_bad_ratio(ratio) -> None:
    message = check_test_ratio(ratio)
    assert message is not None
    assert message.startswith("the test share must be a number from 0 to 0.9 (0% to 90%), got ")
    with pytest.raises(ValueError) as info:
        split(generate("xor"), ratio, seed=0)
    assert str(info.value) == message


def test_limits_are_inclusive() -> None:
    assert check_test_ratio(0) is None and check_test_ratio(0.9) is None


@settings(max_examples=fuzz_examples(80), deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=1, max_size=6).filter(lambda c: sum(c) > 0),
    ratio=st.floats(0, 0.9),
    seed=st.integers(0, 1000),
)
def test_partition_and_shares_for_any_counts(counts: list[int], ratio: float, seed: int) -> None:
    data = labelled(counts)
    train, test = split(data, ratio, seed)
    n = sum(counts)
    assert sorted(rows(train) + rows(test)) == list(range(n))
    assert train.samples >= 1
    assert test.samples <= int(np.floor(n * ratio + 0.5))
    test_counts = np.bincount(test.T[:, 0].astype(int), minlength=len(counts))
    for size, taken in zip(counts, test_counts):
        assert taken <= max(size - 1, 0)
        assert np.floor(size * ratio) <= taken <= np.ceil(size * ratio) or taken == size - 1
    if all(size * ratio <= size - 1 for size in counts if size):  # no class too small
        assert test.samples == min(int(np.floor(n * ratio + 0.5)), n - 1)


# -- three parts: training, validation, test --------------------------------------------------


def test_three_way_split_keeps_the_test_part_of_split() -> None:
    data = labelled([30, 50, 20])
    _, test_only = split(data, 0.2, seed=3)
    train, validation, test = three_way_split(data, 0.2, 0.25, seed=3)
    assert rows(test) == rows(test_only)
    assert validation.samples == 25 and test.samples == 20 and train.samples == 55
    assert sorted(rows(train) + rows(validation) + rows(test)) == list(range(100))
    assert not set(rows(validation)) & (set(rows(train)) | set(rows(test)))
    assert "(validation: 25 samples)" in validation.title
    assert "(training: 55 samples)" in train.title and validation.classes == data.classes


def test_the_validation_part_is_stratified() -> None:
    """Classes of 40 and 60: a quarter of the whole set for validation is 10 and 15."""
    data = labelled([40, 60])
    train, validation, test = three_way_split(data, 0.1, 0.25, seed=0)
    assert np.bincount(validation.T[:, 0].astype(int)).tolist() == [10, 15]
    assert np.bincount(test.T[:, 0].astype(int)).tolist() == [4, 6]
    assert np.bincount(train.T[:, 0].astype(int)).tolist() == [26, 39]


def test_three_way_split_is_seeded_and_rows_stay_in_order() -> None:
    data = generate("spiral", 90, 0.1, 2, 3)
    first = three_way_split(data, 0.2, 0.2, seed=5)
    again = three_way_split(data, 0.2, 0.2, seed=5)
    other = three_way_split(data, 0.2, 0.2, seed=6)
    for a, b in zip(first, again):
        assert np.array_equal(a.X, b.X) and np.array_equal(a.T, b.T)
    assert not np.array_equal(first[1].X, other[1].X)
    plain = Dataset("r", "R", np.arange(10.0).reshape(-1, 1), np.zeros((10, 1)), ("x",), ("y",))
    for part in three_way_split(plain, 0.3, 0.3, seed=1):
        assert np.all(np.diff(part.X[:, 0]) > 0)


def test_no_validation_share_gives_an_empty_part_and_the_same_split() -> None:
    data = labelled([7, 9])
    train2, test2 = split(data, 0.3, seed=2)
    train, validation, test = three_way_split(data, 0.3, 0.0, seed=2)
    assert validation.X.shape == (0, 2)
    assert rows(train) == rows(train2) and rows(test) == rows(test2)


def test_a_tiny_set_keeps_one_training_sample() -> None:
    data = labelled([1, 2])
    train, validation, test = three_way_split(data, 0.45, 0.45, seed=0)
    assert train.samples >= 1
    assert train.samples + validation.samples + test.samples == 3


@pytest.mark.parametrize(
    ("test_ratio", "validation_ratio", "message"),
    [
        (0.2, -0.1, "the validation share must be a number from 0 to 0.9"),
        (0.2, "0.1", "the validation share must be a number from 0 to 0.9"),
        (0.2, True, "the validation share must be a number from 0 to 0.9"),
        (0.5, 0.5, "the test and validation shares together must be at most 90%, got 50% + 50%"),
        (1.5, 0.1, "the test share must be a number from 0 to 0.9"),
    ],
)
def test_bad_shares_are_named(test_ratio, validation_ratio, message: str) -> None:
    assert message in check_shares(test_ratio, validation_ratio)
    with pytest.raises(ValueError, match=re.escape(message)):
        three_way_split(labelled([5, 5]), test_ratio, validation_ratio)
    assert check_shares(0.45, 0.45) is None


def test_class_labels_of_label_columns_and_one_hot_rows() -> None:
    assert class_labels(np.array([[0.0], [2.0], [1.0]])).tolist() == [0, 2, 1]
    assert class_labels(np.eye(3)[[2, 0, 1]]).tolist() == [2, 0, 1]
    assert class_labels(np.array([[0.5], [1.0]])) is None  # soft targets
    assert class_labels(np.array([[1.0, 1.0], [0.0, 1.0]])) is None  # not one-hot
    assert class_labels(np.zeros((0, 1))) is None


def test_split_rows_is_split_on_row_numbers() -> None:
    data = labelled([30, 50, 20])
    train, test = split(data, 0.25, seed=4)
    kept, held_out = split_rows(100, 0.25, 4, data.T[:, 0].astype(int))
    assert kept.tolist() == rows(train) and held_out.tolist() == rows(test)
    kept, held_out = split_rows(10, 0.3, 1)
    assert sorted(kept.tolist() + held_out.tolist()) == list(range(10)) and len(held_out) == 3
