"""Data specs rebuild the same arrays; features, normalisation and the split are applied."""

import re

import numpy as np
import pytest

from bp_studio.data.examples import EXAMPLES
from bp_studio.data.source import DataSpec, prepare


def test_generator_spec_is_reproducible_and_split():
    spec = DataSpec("generator", "circles", samples=100, noise=0.1, seed=4, test_ratio=0.2)
    a, b = prepare(spec), prepare(spec)
    assert np.array_equal(a.train.X, b.train.X) and np.array_equal(a.test.T, b.test.T)
    assert a.train.samples == 80 and a.test.samples == 20
    assert a.has_test


def test_features_and_normalisation():
    spec = DataSpec(
        "generator", "circles", samples=60, features=("x1^2", "x2^2"), normalization="standardize"
    )
    data = prepare(spec)
    assert data.train.X.shape == (60, 2)
    assert np.array_equal(data.train.X[:, 0], data.raw.X[:, 0] ** 2)
    assert data.normalization is not None
    normalised = data.normalization.apply(data.train.X)
    assert np.allclose(normalised.mean(axis=0), 0.0) and np.allclose(normalised.std(axis=0), 1.0)
    assert data.raw.X.shape == (60, 2)


def test_rows_spec_needs_rows():
    with pytest.raises(ValueError, match="needs its rows"):
        prepare(DataSpec("rows", "my.csv"))
    data = prepare(DataSpec("rows", "my.csv"), EXAMPLES["and"])
    assert data.train.samples == 4 and not data.has_test


def test_round_trip_and_bad_fields():
    spec = DataSpec("real", "iris", features=(), normalization="minmax", test_ratio=0.3)
    assert DataSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ValueError, match="data.colour: unknown field"):
        DataSpec.from_dict({"colour": "red"})
    with pytest.raises(ValueError, match="unknown generator"):
        DataSpec.from_dict({"kind": "generator", "name": "donut"})
    with pytest.raises(ValueError, match="derived features need a data set with 2 inputs"):
        prepare(DataSpec("real", "iris", features=("x1^2",)))


def test_a_validation_share_next_to_the_test_share():
    spec = DataSpec(
        "generator",
        "circles",
        samples=100,
        seed=4,
        test_ratio=0.2,
        validation_ratio=0.3,
        features=("x1^2", "x2^2"),
        normalization="standardize",
    )
    data = prepare(spec)
    assert (data.train.samples, data.validation.samples, data.test.samples) == (50, 30, 20)
    assert data.has_validation and data.has_test
    # the test part is the one the old two-way split gives
    two_way = prepare(DataSpec("generator", "circles", samples=100, seed=4, test_ratio=0.2))
    assert np.array_equal(data.test_raw.X, two_way.test_raw.X)
    # features on every part; normalisation fitted on the training part alone
    assert np.array_equal(data.validation.X[:, 0], data.validation_raw.X[:, 0] ** 2)
    normalised = data.normalization.apply(data.train.X)
    assert np.allclose(normalised.mean(axis=0), 0.0)
    assert not np.allclose(data.normalization.apply(data.validation.X).mean(axis=0), 0.0)


def test_specs_without_a_validation_share_still_load():
    old = {
        "kind": "generator",
        "name": "xor",
        "samples": 50,
        "noise": 0.1,
        "seed": 1,
        "classes": 2,
        "features": [],
        "normalization": "none",
        "test_ratio": 0.2,
        "split_seed": 0,
    }
    spec = DataSpec.from_dict(old)
    assert spec.validation_ratio == 0.0
    data = prepare(spec)
    assert data.validation.X.shape == (0, 2) and not data.has_validation
    assert data.train.samples == 40
    new = DataSpec.from_dict(spec.to_dict() | {"validation_ratio": 0.25})
    assert new.validation_ratio == 0.25
    assert DataSpec.from_dict(new.to_dict()) == new


def test_bad_validation_shares_are_named():
    with pytest.raises(ValueError, match=r"data.validation_ratio: expected 0 to 0.9, got 1.2"):
        DataSpec.from_dict({"validation_ratio": 1.2})
    too_much = re.escape("shares together must be at most 90%, got 60% + 40%")
    with pytest.raises(ValueError, match=too_much):
        DataSpec.from_dict({"test_ratio": 0.6, "validation_ratio": 0.4})
    with pytest.raises(ValueError, match="the validation share"):
        prepare(DataSpec(validation_ratio=-0.5))
