"""Data specs rebuild the same arrays; features, normalisation and the split are applied."""

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
