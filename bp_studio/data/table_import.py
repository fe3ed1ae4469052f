"""CSV import for the window's File > Open data...: a ``Dataset`` from a CSV file, and a preview.

The file is read by the one CSV reader, :func:`bp_studio.data.csv_table.read_columns` (the
command line uses it too), so the file rules and messages are the same: UTF-8, separated by
commas, semicolons or tabs, decimal points or commas (detected from the start of the file),
a header row, numeric inputs, missing values refused or skipped, text only in target columns.

``read_dataset(path, target_columns=None, drop_missing=False, progress=None)``:

- **Targets.** ``target_columns`` names the target columns (default: the last column); every
  other column is an input, in file order. ``X`` is ``(samples, inputs)`` float64.
- **Class column.** A single target column whose cells are not all numbers is a class column:
  its distinct labels, sorted in Python string order (so the class numbers do not depend on
  the row order and a training file and a test file agree), become ``Dataset.classes`` and
  ``T`` ``(samples, 1)`` holds the class numbers ``0 .. k-1`` (as floats);
  ``targets_for_loss("cross_entropy")`` turns them into one-hot columns. At most
  ``MAX_CLASSES`` labels are accepted (more usually means the wrong column was chosen).
- **A 0/1 column** as the single target is a two-class column as well: ``classes`` is
  ``("0", "1")`` and ``T`` keeps its 0s and 1s, so the window trains a classifier on it.
- **Numeric targets.** Other target columns are regression targets, taken as they are: ``T``
  is ``(samples, targets)`` and ``classes`` is ``None``.
- **Inputs** must be finite numbers.
- **Missing values.** An empty cell, or one reading ``NA``, ``N/A``, ``NaN``, ``null`` or
  ``?`` (any letter case), is a missing value. A file with missing values is refused with a
  message counting the rows concerned, unless ``drop_missing=True``, which skips those rows
  (``Dataset.source`` then says how many were skipped).

Every problem raises :class:`~bp_studio.data.csv_table.DataError` with a one-line message
naming the file, and the line and column of the first problem in the file with a count of
further problems of the same kind, for example (each message is one line, wrapped here)::

    data.csv, line 7, column "x2" (2): "abc" is not a number (and 3 more non-numeric
        cells); only a target column may hold text
    data.csv, line 4, column "x1" (1): missing value (empty cell); 12 rows have missing
        values; open again with "Drop rows with missing values" to skip them
    data.csv, line 9, column "y" (3): the row ends after 2 cells, the header has 3 columns
        (and 1 more row with the wrong number of cells)
    data.csv, line 1: only one column ("x"); the file needs at least one input column and
        a target column

``preview_csv(path, rows=20)`` gives the header, the first rows as text and the detected
format for a preview table, reading only the start of the file (``preview_rows`` the header
and rows alone). ``progress(fraction)`` is called with non-decreasing fractions from 0 to 1
(at least every 2% of the file for large files, 1.0 last, on success); an exception raised
by it stops the import and propagates (a way to cancel).

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bp_studio.data.csv_table import (
    DEFAULT_MAX_BYTES,
    MAX_CLASSES,
    MISSING_MARKERS,
    CsvFormat,
    DataError,
    _choose_format,
    _decode,
    _iter_rows,
    _open,
    _quote,
    _show,
    pluralize,
    read_columns,
)
from bp_studio.data.examples import Dataset

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DROP_MISSING_HINT",
    "MAX_CLASSES",
    "MISSING_MARKERS",
    "CsvPreview",
    "DataError",
    "preview_csv",
    "preview_rows",
    "read_dataset",
]

DROP_MISSING_HINT = 'open again with "Drop rows with missing values" to skip them'


def read_dataset(
    path: str | os.PathLike[str],
    target_columns: Sequence[str] | None = None,
    drop_missing: bool = False,
    progress: Callable[[float], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    separator: str | None = None,
    decimal: str | None = None,
) -> Dataset:
    """Read a CSV file into a :class:`Dataset` (see the module docstring for the rules).

    ``Dataset.name`` is the file name without its extension, ``title`` the file name and
    ``source`` the path as given (plus a note on skipped rows). ``separator`` and ``decimal``
    default to what the file looks like. Raises :class:`DataError` for every problem with
    the file or the choice of target columns, :class:`TypeError` if ``target_columns`` is a
    single string and :class:`ValueError` if ``max_bytes`` is not positive.
    """
    if isinstance(target_columns, str):
        raise TypeError("target_columns must be a sequence of column names, not a single string")
    shown = os.fsdecode(os.fspath(path))
    name = _show(shown)

    def last_column(header: tuple[str, ...]) -> list[int]:
        if len(header) < 2:
            raise DataError(
                f"{name}, line 1: only one column ({_quote(header[0])}); the file needs "
                "at least one input column and a target column"
            )
        return [len(header) - 1]

    data = read_columns(
        shown,
        last_column if target_columns is None else list(target_columns),
        drop_missing=drop_missing,
        missing_hint=DROP_MISSING_HINT,
        separator=separator,
        decimal=decimal,
        progress=progress,
        max_bytes=max_bytes,
    )
    source = shown
    if data.dropped_rows:
        source += f" ({pluralize(data.dropped_rows, 'row')} with missing values skipped)"
    return Dataset(
        name=Path(shown).stem or shown,
        title=Path(shown).name or shown,
        X=data.inputs,
        T=data.targets,
        input_names=data.input_columns,
        target_names=data.target_columns,
        classes=data.classes,
        source=source,
    )


@dataclass(frozen=True)
class CsvPreview:
    """The start of a CSV file: ``header`` and ``rows`` (stripped cell texts) and ``format``
    (the separator and decimal mark, detected unless given)."""

    header: list[str]
    rows: list[list[str]]
    format: CsvFormat


def preview_csv(
    path: str | os.PathLike[str],
    rows: int = 20,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    separator: str | None = None,
    decimal: str | None = None,
) -> CsvPreview:
    """The header and the first ``rows`` data rows of a CSV file, as stripped cell texts.

    Reads only the start of the file. Rows are returned as they are (a row may have more
    or fewer cells than the header; the header is not checked), so the window can show a
    file that :func:`read_dataset` would refuse next to its message. Raises
    :class:`DataError`, with the same messages as :func:`read_dataset`, for a file that
    cannot be read: missing, a folder, a pipe, larger than ``max_bytes``, not UTF-8 (in the
    part read), not valid CSV (in the part read) or empty.
    """
    if rows < 0:
        raise ValueError(f"rows must not be negative, not {rows}")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    shown = os.fsdecode(os.fspath(path))
    name = _show(shown)
    handle, _ = _open(shown, name, max_bytes)
    with handle:
        format = _choose_format(handle.read(64 * 1024), separator, decimal)
        limit = 64 * 1024
        while True:
            handle.seek(0)
            raw = handle.read(min(limit, max_bytes + 1))
            complete = len(raw) < min(limit, max_bytes + 1)  # the whole file was read
            if not complete:
                cut = max(raw.rfind(b"\n"), raw.rfind(b"\r"))
                if cut < 0:
                    limit *= 4
                    continue
                raw = raw[: cut + 1]  # whole lines only (UTF-8 never has these bytes inside)
            text = _decode(raw, name)
            if text.startswith("\ufeff"):
                text = text[1:]
            found: list[list[str]] = []
            try:
                for _, cells in _iter_rows(text, name, format):
                    found.append(cells)
                    if len(found) > rows + 1:  # one more than needed: the rows before are whole
                        break
            except DataError:
                if complete:
                    raise
                limit *= 4  # a quoted cell may go on past the part read
                continue
            if complete or len(found) > rows + 1:
                break
            limit *= 4
    if not found:
        raise DataError(f"{name}: the file is empty")
    return CsvPreview(found[0], found[1 : rows + 1], format)


def preview_rows(
    path: str | os.PathLike[str],
    rows: int = 20,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    separator: str | None = None,
) -> tuple[list[str], list[list[str]]]:
    """``preview_csv``'s header and rows alone."""
    preview = preview_csv(path, rows, max_bytes, separator=separator)
    return preview.header, preview.rows
