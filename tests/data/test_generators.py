"""Tests for bp_studio.data.generators: shapes, balance, seeds, geometry and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bp_studio.data.examples import Dataset
from bp_studio.data.generators import (
    GENERATORS,
    PLANE_A,
    PLANE_B,
    check_settings,
    generate,
)

from helpers import fuzz_examples

CLASSIFICATION = [name for name, info in GENERATORS.items() if info.classification]
REGRESSION = [name for name, info in GENERATORS.items() if not info.classification]


def test_registry_lists_every_generator_in_menu_order() -> None:
    assert list(GENERATORS) == ["xor", "circles", "moons", "spiral", "gaussian", "sine", "plane"]
    assert CLASSIFICATION == ["xor", "circles", "moons", "spiral", "gaussian"]
    assert REGRESSION == ["sine", "plane"]
    for name, info in GENERATORS.items():
        assert info.name == name
        assert info.title and info.description
    assert GENERATORS["circles"].class_names == ("inner", "outer")
    assert GENERATORS["gaussian"].variable_classes and GENERATORS["spiral"].variable_classes
    assert not GENERATORS["xor"].variable_classes


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("samples", [4, 5, 200, 201])
def test_classification_shapes_and_balance(name: str, samples: int) -> None:
    data = generate(name, samples=samples)
    assert isinstance(data, Dataset)
    assert data.name == name
    assert data.X.shape == (samples, 2) and data.X.dtype == np.float64
    assert data.T.shape == (samples, 1)
    assert data.input_names == ("x1", "x2")
    assert data.classes is not None and len(data.classes) == 2
    counts = np.bincount(data.T[:, 0].astype(int), minlength=2)
    assert counts.sum() == samples
    assert counts.max() - counts.min() <= 1
    assert set(np.unique(data.T)) <= {0.0, 1.0}
    assert data.targets_for_loss("cross_entropy").shape == (samples, 2)
    assert np.all(np.isfinite(data.X))


@pytest.mark.parametrize("name", ["gaussian", "spiral"])
@pytest.mark.parametrize("classes", [2, 3, 7, 10])
def test_multiclass_balance(name: str, classes: int) -> None:
    data = generate(name, samples=203, classes=classes)
    assert data.classes == tuple(f"class {c}" for c in range(classes))
    counts = np.bincount(data.T[:, 0].astype(int), minlength=classes)
    assert len(counts) == classes and counts.sum() == 203
    assert counts.max() - counts.min() <= 1
    assert data.targets_for_loss("cross_entropy").shape == (203, classes)


def test_classes_are_ignored_where_fixed() -> None:
    assert generate("circles", classes=5).classes == ("inner", "outer")
    assert generate("xor", classes=99).classes == ("same sign", "opposite signs")
    assert check_settings("moons", classes=0) is None


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_shapes(name: str) -> None:
    data = generate(name, samples=50)
    inputs = 1 if name == "sine" else 2
    assert data.X.shape == (50, inputs)
    assert data.T.shape == (50, 1)
    assert data.classes is None
    assert data.target_names == ("y",)
    assert data.input_names == (("x",) if name == "sine" else ("x1", "x2"))


@pytest.mark.parametrize("name", list(GENERATORS))
def test_same_seed_same_arrays_other_seed_other_arrays(name: str) -> None:
    a = generate(name, samples=64, noise=0.2, seed=7, classes=3)
    b = generate(name, samples=64, noise=0.2, seed=7, classes=3)
    c = generate(name, samples=64, noise=0.2, seed=8, classes=3)
    assert a.X.tobytes() == b.X.tobytes() and a.T.tobytes() == b.T.tobytes()
    assert not np.array_equal(a.X, c.X)


def test_rows_are_shuffled() -> None:
    labels = generate("circles", samples=100).T[:, 0]
    assert 0 < labels[:50].sum() < 50


def test_xor_without_noise_follows_the_signs() -> None:
    data = generate("xor", samples=400, noise=0.0)
    same = data.X[:, 0] * data.X[:, 1] > 0
    np.testing.assert_array_equal(data.T[:, 0], np.where(same, 0.0, 1.0))
    assert np.all(np.abs(data.X) >= 0.1) and np.all(np.abs(data.X) <= 1.0)


def test_circles_without_noise_have_their_radii() -> None:
    data = generate("circles", samples=400, noise=0.0)
    radius = np.hypot(data.X[:, 0], data.X[:, 1])
    inner = data.T[:, 0] == 0
    assert np.all(radius[inner] <= 0.5)
    assert np.all((radius[~inner] >= 0.7) & (radius[~inner] <= 1.0 + 1e-12))


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    data = generate("moons", samples=400, noise=0.0)
    points = data.X / 0.8 + np.array([0.5, 0.25])
    upper = data.T[:, 0] == 0
    np.testing.assert_allclose(np.hypot(*points[upper].T), 1.0)
    np.testing.assert_allclose(np.hypot(points[~upper, 0] - 1.0, points[~upper, 1] - 0.5), 1.0)
    assert np.all(points[upper, 1] >= 0) and np.all(points[~upper, 1] <= 0.5)
    assert np.all(np.abs(data.X.mean(axis=0)) < 0.2)


def test_spiral_without_noise_stays_in_the_unit_disc() -> None:
    data = generate("spiral", samples=300, noise=0.0, classes=3)
    assert np.all(np.hypot(data.X[:, 0], data.X[:, 1]) <= 1.0 + 1e-12)


def test_gaussian_blobs_sit_around_their_centres() -> None:
    data = generate("gaussian", samples=3000, noise=0.0, classes=4)
    for c in range(4):
        angle = math.pi / 4 + 2 * math.pi * c / 4
        centre = 0.7 * np.array([math.cos(angle), math.sin(angle)])
        points = data.X[data.T[:, 0] == c]
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=0.03)
        np.testing.assert_allclose(points.std(axis=0), 0.2, atol=0.03)


def test_noise_is_gaussian_with_the_given_spread() -> None:
    data = generate("sine", samples=20_000, noise=0.3, seed=1)
    residual = data.T[:, 0] - np.sin(data.X[:, 0])
    assert abs(residual.mean()) < 0.01
    assert abs(residual.std() - 0.3) < 0.01
    assert np.all(np.abs(data.X) <= math.pi)


def test_plane_without_noise_is_exact() -> None:
    data = generate("plane", samples=100, noise=0.0)
    np.testing.assert_allclose(data.T[:, 0], PLANE_A * data.X[:, 0] + PLANE_B * data.X[:, 1])
    assert np.all(np.abs(data.X) <= 1.0)


def test_zero_noise_and_more_noise() -> None:
    clean = generate("circles", samples=100, noise=0.0, seed=3)
    noisy = generate("circles", samples=100, noise=10.0, seed=3)
    assert clean.X.shape == noisy.X.shape
    assert noisy.X.std() > 5 * clean.X.std()


def test_title_and_source_describe_the_settings() -> None:
    data = generate("gaussian", samples=50, noise=0.25, seed=3, classes=3)
    assert "50 samples" in data.title and "0.25" in data.title
    assert data.source == "generated: gaussian, samples=50, noise=0.25, seed=3, classes=3"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"name": "donut"}, "unknown data set 'donut' (known: xor, circles, moons, spiral,"),
        ({"samples": 3}, "samples must be a whole number from 4 to 1,000,000, got 3"),
        ({"samples": 1_000_001}, "samples must be a whole number from 4 to 1,000,000, got 1000001"),
        ({"samples": 10.5}, "samples must be a whole number from 4 to 1,000,000, got 10.5"),
        ({"samples": True}, "samples must be a whole number"),
        ({"noise": -0.1}, "noise must be a number from 0 to 10, got -0.1"),
        ({"noise": 10.5}, "noise must be a number from 0 to 10, got 10.5"),
        ({"noise": float("nan")}, "noise must be a number from 0 to 10, got nan"),
        ({"noise": float("inf")}, "noise must be a number from 0 to 10, got inf"),
        ({"noise": "0.1"}, "noise must be a number from 0 to 10, got '0.1'"),
        ({"seed": -1}, "seed must be a whole number from 0 up, got -1"),
        ({"name": "gaussian", "classes": 1}, "classes must be a whole number from 2 to 10 for"),
        (
            {"name": "gaussian", "classes": 11},
            "classes must be a whole number from 2 to 10 for gaussian, got 11",
        ),
        ({"name": "spiral", "classes": 3, "samples": 5}, "5 samples are too few for 3 classes"),
    ],
)
def test_validation_messages(kwargs: dict, expected: str) -> None:
    settings_ = {"name": "circles", **kwargs}
    message = check_settings(**settings_)
    assert message is not None and message.startswith(expected), message
    with pytest.raises(ValueError) as info:
        generate(**settings_)
    assert str(info.value) == message


def test_limits_are_inclusive() -> None:
    assert check_settings("circles", samples=4, noise=0.0) is None
    assert check_settings("circles", samples=1_000_000, noise=10) is None
    assert check_settings("gaussian", samples=20, classes=10) is None
    assert check_settings("gaussian", samples=np.int64(20), noise=np.float64(0.5)) is None


def test_a_million_samples() -> None:
    data = generate("spiral", samples=1_000_000, classes=10)
    assert data.X.shape == (1_000_000, 2)
    assert np.bincount(data.T[:, 0].astype(int)).tolist() == [100_000] * 10


@settings(max_examples=fuzz_examples(60), deadline=None)
@given(
    name=st.sampled_from(list(GENERATORS)),
    samples=st.integers(4, 300),
    noise=st.floats(0, 10),
    seed=st.integers(0, 2**32),
    classes=st.integers(2, 10),
)
def test_any_valid_setting_gives_a_consistent_dataset(
    name: str, samples: int, noise: float, seed: int, classes: int
) -> None:
    if check_settings(name, samples, noise, seed, classes) is not None:
        return
    data = generate(name, samples, noise, seed, classes)
    assert data.X.shape[0] == data.T.shape[0] == samples
    assert data.X.shape[1] == GENERATORS[name].inputs == len(data.input_names)
    assert np.all(np.isfinite(data.X)) and np.all(np.isfinite(data.T))
    if data.classes is not None:
        counts = np.bincount(data.T[:, 0].astype(int), minlength=len(data.classes))
        assert counts.max() - counts.min() <= 1
