"""Tests for bp_studio.data.real and the files in resources/."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from bp_studio.data import real
from bp_studio.data.csv_table import DataError
from bp_studio.data.real import RESOURCES, load_digits, load_iris

DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_resources_folder_is_at_the_repository_root() -> None:
    assert RESOURCES == Path(__file__).resolve().parents[2] / "resources"
    assert (RESOURCES / "README.md").is_file()


def test_iris() -> None:
    data = load_iris()
    assert data.name == "iris"
    assert data.X.shape == (150, 4) and data.T.shape == (150, 1)
    assert data.input_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert data.target_names == ("species",)
    assert data.classes == ("setosa", "versicolor", "virginica")
    assert np.bincount(data.T[:, 0].astype(int)).tolist() == [50, 50, 50]
    # the summary statistics of iris.rst (min, max, mean per column)
    np.testing.assert_allclose(data.X.min(axis=0), [4.3, 2.0, 1.0, 0.1])
    np.testing.assert_allclose(data.X.max(axis=0), [7.9, 4.4, 6.9, 2.5])
    np.testing.assert_allclose(data.X.mean(axis=0), [5.84, 3.05, 3.76, 1.20], atol=0.01)
    np.testing.assert_array_equal(data.X[0], [5.1, 3.5, 1.4, 0.2])
    assert data.targets_for_loss("cross_entropy").shape == (150, 3)
    assert "UCI" in data.source


def test_digits() -> None:
    data = load_digits()
    assert data.name == "digits"
    assert data.X.shape == (1797, 64) and data.T.shape == (1797, 1)
    assert data.input_names == tuple(f"pixel_{i}" for i in range(64))
    assert data.classes == tuple("0123456789")
    assert np.bincount(data.T[:, 0].astype(int)).tolist() == DIGIT_COUNTS
    assert data.X.min() == 0 and data.X.max() == 16
    assert np.array_equal(data.X, np.round(data.X))
    assert data.X[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert data.T[0, 0] == 0 and data.T[1, 0] == 1
    assert data.targets_for_loss("cross_entropy").shape == (1797, 10)


def test_checksums_match_the_readme() -> None:
    readme = (RESOURCES / "README.md").read_text(encoding="utf-8")
    for name in ("iris.csv", "digits.csv"):
        digest = hashlib.sha256((RESOURCES / name).read_bytes()).hexdigest()
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        assert re.search(r"`([0-9a-f]{64})`", row).group(1) == digest, name


def test_readme_states_sources_and_licences() -> None:
    readme = (RESOURCES / "README.md").read_text(encoding="utf-8")
    for text in (
        "UCI Machine Learning Repository",
        "scikit-learn 1.9.1",
        "BSD 3-Clause",
        "CC BY 4.0",
        "Fisher",
        "Alpaydin",
        "Kaynak",
    ):
        assert text in readme


def test_missing_resources_give_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(real, "RESOURCES", tmp_path)
    with pytest.raises(DataError, match="iris.csv: the bundled data file is missing"):
        load_iris()
    with pytest.raises(DataError, match="digits.csv: the bundled data file is missing"):
        load_digits()


def test_altered_resources_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "iris.csv").write_text("a,b,species\n1,2,x\n", encoding="utf-8")
    (tmp_path / "digits.csv").write_text("a,digit\n1,2\n", encoding="utf-8")
    monkeypatch.setattr(real, "RESOURCES", tmp_path)
    with pytest.raises(DataError, match="has been altered"):
        load_iris()
    with pytest.raises(DataError, match="has been altered"):
        load_digits()


def test_no_scikit_learn_needed() -> None:
    source = Path(real.__file__).read_text(encoding="utf-8")
    assert "sklearn" not in source
