"""Tests for bp_studio.data.features: TensorFlow Playground style derived inputs."""

from __future__ import annotations

import numpy as np
import pytest

from bp_studio.data.examples import EXAMPLES, Dataset
from bp_studio.data.features import FEATURES, apply_features, with_features
from bp_studio.data.generators import generate


def two_d() -> Dataset:
    return Dataset(
        "pts",
        "points",
        np.array([[1.0, 2.0], [-0.5, 3.0], [0.0, -1.0]]),
        np.array([[0.0], [1.0], [1.0]]),
        ("a", "b"),
        ("y",),
        classes=("no", "yes"),
        source="test",
    )


def test_feature_names() -> None:
    assert list(FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]


def test_every_feature_formula() -> None:
    X = two_d().X
    x1, x2 = X[:, 0], X[:, 1]
    expected = {
        "x1": x1,
        "x2": x2,
        "x1^2": x1**2,
        "x2^2": x2**2,
        "x1*x2": x1 * x2,
        "sin(x1)": np.sin(x1),
        "sin(x2)": np.sin(x2),
    }
    for name, column in expected.items():
        np.testing.assert_array_equal(apply_features(X, [name])[:, 0], column)


def test_with_features_keeps_targets_and_names_the_inputs() -> None:
    data = two_d()
    result = with_features(data, ["x1*x2", "x1", "sin(x2)"])
    assert result.input_names == ("x1*x2", "x1", "sin(x2)")
    assert result.X.shape == (3, 3)
    np.testing.assert_array_equal(result.X[:, 0], data.X[:, 0] * data.X[:, 1])
    np.testing.assert_array_equal(result.X[:, 1], data.X[:, 0])
    assert result.T is data.T
    assert (result.name, result.title, result.classes, result.source) == (
        data.name,
        data.title,
        data.classes,
        data.source,
    )
    assert data.X.shape == (3, 2)  # the original is untouched


def test_features_do_not_alias_the_inputs() -> None:
    data = two_d()
    result = with_features(data, ["x1", "x2"])
    result.X[0, 0] = 99.0
    assert data.X[0, 0] == 1.0


def test_product_makes_xor_separable() -> None:
    data = with_features(generate("xor", samples=200, noise=0.0), ["x1*x2"])
    np.testing.assert_array_equal(data.X[:, 0] < 0, data.T[:, 0] == 1)


def test_squares_make_circles_separable() -> None:
    data = with_features(generate("circles", samples=200, noise=0.0), ["x1^2", "x2^2"])
    radius2 = data.X.sum(axis=1)
    np.testing.assert_array_equal(radius2 > 0.36, data.T[:, 0] == 1)


def test_unknown_feature_is_named() -> None:
    with pytest.raises(ValueError, match=r"unknown feature 'x3' \(known: x1, x2, x1\^2"):
        with_features(two_d(), ["x1", "x3"])


def test_dataset_that_is_not_2d_is_named() -> None:
    data = generate("sine", samples=10)
    with pytest.raises(ValueError, match="features need a data set with 2 inputs .*'sine' has 1"):
        with_features(data, ["x1"])


def test_other_bad_choices() -> None:
    with pytest.raises(ValueError, match="at least one feature"):
        with_features(two_d(), [])
    with pytest.raises(ValueError, match="'x1' is chosen twice"):
        with_features(two_d(), ["x1", "x1"])
    with pytest.raises(TypeError):
        with_features(two_d(), "x1")
    with pytest.raises(ValueError, match=r"shape \(samples, 2\), got \(3, 3\)"):
        apply_features(np.zeros((3, 3)), ["x1"])


def test_works_on_the_built_in_xor_and_a_grid() -> None:
    assert with_features(EXAMPLES["xor"], ["x1*x2"]).X[:, 0].tolist() == [0.0, 0.0, 0.0, 1.0]
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5)), -1).reshape(-1, 2)
    assert apply_features(grid, list(FEATURES)).shape == (25, 7)
    assert apply_features(np.zeros((0, 2)), ["x1^2"]).shape == (0, 1)
