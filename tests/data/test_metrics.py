"""Tests for bp_studio.data.metrics: accuracy and the confusion matrix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bp_studio.data.metrics import accuracy, confusion_matrix, predicted_classes, true_classes

from helpers import fuzz_examples


def test_single_sigmoid_output_uses_threshold_half() -> None:
    outputs = np.array([[0.1], [0.5], [0.49], [0.9]])
    np.testing.assert_array_equal(predicted_classes(outputs), [0, 1, 0, 1])
    assert accuracy(outputs, np.array([[0.0], [1.0], [1.0], [1.0]])) == 0.75
    assert accuracy(outputs.ravel(), np.array([0, 1, 0, 1])) == 1.0


def test_multi_output_uses_argmax_with_one_hot_or_class_column() -> None:
    outputs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.5, 0.5, 0.0]])
    one_hot = np.eye(3)[[0, 2, 0, 0]]
    column = np.array([[0.0], [2.0], [0.0], [0.0]])
    assert accuracy(outputs, one_hot) == accuracy(outputs, column) == 0.75
    assert predicted_classes(outputs)[3] == 0  # first of equal maxima


def test_confusion_matrix_rows_true_columns_predicted() -> None:
    outputs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.1, 0.9]])
    targets = np.array([[0], [0], [1], [1], [1]])
    matrix = confusion_matrix(outputs, targets, 2)
    assert matrix.dtype == np.int64
    np.testing.assert_array_equal(matrix, [[1, 1], [1, 2]])
    assert matrix.sum() == 5
    assert np.trace(matrix) / matrix.sum() == accuracy(outputs, targets)


def test_confusion_matrix_with_absent_classes_and_binary_output() -> None:
    matrix = confusion_matrix(np.array([[0.2], [0.8]]), np.array([[0.0], [1.0]]), 2)
    np.testing.assert_array_equal(matrix, [[1, 0], [0, 1]])
    matrix = confusion_matrix(np.eye(4)[[0, 0]], np.eye(4)[[0, 3]], 4)
    assert matrix[0, 0] == 1 and matrix[3, 0] == 1 and matrix.sum() == 2


def test_no_samples() -> None:
    assert math.isnan(accuracy(np.zeros((0, 3)), np.zeros((0, 1))))
    np.testing.assert_array_equal(confusion_matrix(np.zeros((0, 2)), np.zeros((0, 2)), 2), 0)


def test_errors() -> None:
    with pytest.raises(ValueError, match="outputs have 2 samples but targets have 3"):
        accuracy(np.zeros((2, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="targets have 3 one-hot columns but the outputs have 2"):
        accuracy(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="true class 5 is outside 0 .. 2"):
        confusion_matrix(np.zeros((1, 3)), np.array([[5.0]]), 3)
    with pytest.raises(ValueError, match="predicted class 3 is outside 0 .. 2"):
        confusion_matrix(np.eye(4)[[3]], np.array([[0.0]]), 3)
    with pytest.raises(ValueError, match="finite"):
        true_classes(np.array([[np.nan]]))


@settings(max_examples=fuzz_examples(80), deadline=None)
@given(st.integers(2, 6), st.integers(0, 50), st.integers(0, 10_000))
def test_matrix_and_accuracy_agree(classes: int, samples: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    outputs = rng.random((samples, classes))
    labels = rng.integers(0, classes, samples)
    matrix = confusion_matrix(outputs, np.eye(classes)[labels], classes)
    assert matrix.sum() == samples
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(labels, minlength=classes))
    if samples:
        assert np.trace(matrix) / samples == pytest.approx(accuracy(outputs, labels[:, None]))
