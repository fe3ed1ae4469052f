"""Two small real data sets shipped in ``resources/`` at the repository root.

- ``load_iris()``: Fisher's iris flowers. ``X`` ``(150, 4)``: sepal length, sepal width, petal
  length and petal width in cm (``input_names`` ``sepal_length`` ... ``petal_width``); ``T``
  ``(150, 1)``: the species as class numbers 0, 1, 2 for ``classes`` ``("setosa",
  "versicolor", "virginica")``, 50 samples each.
- ``load_digits()``: handwritten digits as 8x8 images. ``X`` ``(1797, 64)``: pixel counts
  from 0 to 16, row by row (``pixel_0`` is the top left, ``pixel_63`` the bottom right);
  ``T`` ``(1797, 1)``: the digit as class numbers 0..9 for ``classes`` ``("0", ..., "9")``.

Both come from the UCI Machine Learning Repository by way of scikit-learn 1.9.1; see
``resources/README.md`` for the exact sources, licences, citations and checksums. The files
are found at ``Path(__file__).resolve().parents[2] / "resources"`` (BP Studio runs from its
source folder or an editable install); a missing or altered file raises
:class:`~bp_studio.data.csv_table.DataError` saying so.

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bp_studio.data.csv_table import DataError, read_csv
from bp_studio.data.examples import Dataset
from bp_studio.data.table_import import read_dataset

__all__ = ["IRIS_COLUMNS", "RESOURCES", "load_digits", "load_iris", "resource_path"]

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
"""The folder holding ``iris.csv`` and ``digits.csv``."""

IRIS_COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width", "species")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")
DIGIT_CLASSES = tuple(str(d) for d in range(10))

_IRIS_SOURCE = (
    "Iris (R. A. Fisher, 1936), UCI Machine Learning Repository, via scikit-learn 1.9.1 "
    "(resources/iris.csv; see resources/README.md)"
)
_DIGITS_SOURCE = (
    "Optical Recognition of Handwritten Digits (E. Alpaydin and C. Kaynak, 1998), test set, "
    "UCI Machine Learning Repository, via scikit-learn 1.9.1 "
    "(resources/digits.csv; see resources/README.md)"
)


def resource_path(file_name: str) -> Path:
    """The path of a bundled data file; :class:`DataError` if it is missing."""
    path = RESOURCES / file_name
    if not path.is_file():
        raise DataError(
            f"{path}: the bundled data file is missing; it belongs in the resources folder "
            "next to the bp_studio package folder (restore it from the BP Studio sources)"
        )
    return path


def _altered(path: Path, what: str) -> DataError:
    return DataError(f"{path}: the bundled data file has been altered ({what})")


def load_iris() -> Dataset:
    """Fisher's iris data: 150 samples, 4 measurements, 3 species (50 each)."""
    path = resource_path("iris.csv")
    data = read_dataset(path)
    columns = data.input_names + data.target_names
    if columns != IRIS_COLUMNS or data.classes != IRIS_CLASSES or data.X.shape != (150, 4):
        raise _altered(path, f"columns {columns}, classes {data.classes}, shape {data.X.shape}")
    return Dataset(
        "iris",
        "Iris flowers (150 samples, 4 measurements, 3 species)",
        data.X,
        data.T,
        data.input_names,
        data.target_names,
        classes=data.classes,
        source=_IRIS_SOURCE,
    )


def load_digits() -> Dataset:
    """Handwritten digits: 1,797 samples of 8x8 = 64 pixels from 0 to 16, 10 classes."""
    path = resource_path("digits.csv")
    table = read_csv(path)
    expected = tuple(f"pixel_{i}" for i in range(64)) + ("digit",)
    values = table.values
    if table.columns != expected or values.shape != (1797, 65):
        raise _altered(path, f"{len(table.columns)} columns, shape {values.shape}")
    X = np.array(values[:, :64])
    T = np.array(values[:, 64:])
    if X.min() < 0 or X.max() > 16 or not np.all(np.isin(T, np.arange(10))):
        raise _altered(path, "values out of range")
    return Dataset(
        "digits",
        "Handwritten digits (1,797 samples of 8x8 pixels, 10 classes)",
        X,
        T,
        table.columns[:64],
        ("digit",),
        classes=DIGIT_CLASSES,
        source=_DIGITS_SOURCE,
    )
