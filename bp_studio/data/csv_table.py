"""The one CSV reader of BP Studio: data files for the command line and the window.

The file rules:

- UTF-8 text (a BOM is allowed); lines end with ``\\n``, ``\\r\\n`` or ``\\r``;
- cells separated by a comma, a semicolon or a tab, and numbers written with a decimal point
  or, as European spreadsheets save them, a decimal comma (``1,5;2,25``): both are detected
  from the start of the file (``detect_format``) unless given;
- a header row naming the columns (non-empty, different names), then data rows of as many
  cells; cells are stripped of surrounding whitespace, blank lines are ignored, a quoted cell
  may hold the separator, quotes (doubled) and line breaks;
- numbers are plain decimals (``-1.5``, ``.5``, ``2e-3``; no ``0x10``, ``1_000``, ``1.``-free
  thousands separators): ``float`` reads each exactly, so a file written by
  ``write_csv_text`` reads back as the same float64 values;
- an empty cell, or one reading ``NA``, ``N/A``, ``NaN``, ``null`` or ``?`` (any letter case),
  is a missing value: refused, or with ``drop_missing`` its row is skipped;
- infinity (``inf``, ``1e999``) is refused;
- text is allowed only in target columns: a single target column of text (or of numbers
  mixed with text) is a class column whose distinct labels, sorted in Python string order,
  become the class names (at most ``MAX_CLASSES``), its cells the class numbers ``0 .. k-1``;
  a number in such a column is labelled by its shortest text (``2.0`` and ``2`` are one
  class, ``"2"``). A single target column holding only 0s and 1s is a two-class column too
  (classes ``("0", "1")``, its values unchanged).

``read_columns`` reads a file into ``CsvData`` (inputs and targets, float64); ``read_csv`` is
the same reader for a table of numbers only. Every problem raises :class:`DataError` with a
one-line message naming the file and, where it applies, the physical line (the header is
line 1, as a spreadsheet counts) and the column (its name and 1-based position). The first
problem in the file is reported, with a count of further problems of its kind::

    data.csv, line 7, column "x2" (2): "abc" is not a number (and 3 more non-numeric cells)

How it reads: the file is checked (a regular file, under ``max_bytes``), its lines are counted
in a first pass, then the rows are parsed by :mod:`csv` in blocks and each column of a block
is checked with one regular expression that cannot backtrack and converted by numpy straight
into preallocated float64 arrays, so the memory used is about the size of those arrays (8
bytes per number) plus one block. A block with a problem is looked at cell by cell to name it.

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bp_studio.io.capped import (
    NOT_REGULAR,
    NotARegularFileError,
    open_regular_file,
    size_over_cap,
    size_text,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_CLASSES",
    "MISSING_MARKERS",
    "SEPARATORS",
    "CsvData",
    "CsvFormat",
    "DataError",
    "Table",
    "detect_format",
    "is_missing",
    "is_number",
    "read_columns",
    "read_csv",
    "write_csv_text",
]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
"""Data files larger than this are refused before they are read."""
MAX_CLASSES = 100
"""Most distinct labels a class column may have (more usually means the wrong column)."""
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "?"})
"""Cell texts (compared in lower case) that mean "missing value"."""
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
"""The cell separators a file may use, with their names."""

# A plain decimal number: optional sign, digits with an optional point, optional exponent.
# ASCII digits only; no underscores, no hex (stricter than float()). Every quantifier is
# possessive: a number can be matched in one way only, so a failing match never backtracks
# (a row of numbers and one text cell is refused in linear time).
_NUMBER_PATTERN = r"[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?+[0-9]++)?+"
_NUMBER = re.compile(_NUMBER_PATTERN)
# Numbers joined by "|": a whole column of a block checked in one call.
_NUMBERS = re.compile(_NUMBER_PATTERN + r"(?:\|" + _NUMBER_PATTERN + r")*+")
# Words float() reads as NaN or infinity ("nan" is also a missing-value marker).
_NON_FINITE = re.compile(r"[+-]?+(?:nan|inf(?:inity)?+)", re.IGNORECASE)
_NEWLINE = re.compile(r"\r\n|\r|\n")
_MAX_SHOWN = 40  # longest cell text quoted in a message
_BLOCK_CELLS = 65536  # cells parsed and converted at a time (a few MB of Python strings)
_SAMPLE_BYTES = 64 * 1024  # the start of the file the format is detected from
_SAMPLE_ROWS = 50
_MAX_TRACKED_LABELS = 10 * MAX_CLASSES  # distinct texts counted in a column before giving up
# Appended after the file's last line: csv reads it as a row of its own unless a quoted cell
# is still open at the end of the file, which then swallows it (an unclosed quote).
_SENTINEL = "\ufdd0\ufdd1"
_SURVEY_SHARE = 0.04  # progress share of the first pass (counting lines)
_PARSE_END = 0.97


class DataError(ValueError):
    """A data file cannot be used; ``str(error)`` is a one-line message for the user.

    The message names the file and, where it applies, the line (1-based, the header is
    line 1) and the column (header name and 1-based index).
    """


@dataclass(frozen=True)
class CsvFormat:
    """How a CSV file is written: its cell ``separator`` and its ``decimal`` mark."""

    separator: str = ","
    decimal: str = "."

    def __post_init__(self) -> None:
        if self.separator not in SEPARATORS:
            known = ", ".join(repr(s) for s in SEPARATORS)
            raise ValueError(f"separator must be one of {known}, not {self.separator!r}")
        if self.decimal not in (".", ","):
            raise ValueError(f"decimal must be '.' or ',', not {self.decimal!r}")
        if self.decimal == "," and self.separator == ",":
            raise ValueError("a decimal comma needs a separator other than the comma")

    def describe(self) -> str:
        """``comma-separated``, ``semicolon-separated, decimal comma`` ..."""
        text = f"{SEPARATORS[self.separator]}-separated"
        return text + (", decimal comma" if self.decimal == "," else "")


@dataclass(frozen=True, eq=False)
class Table:
    """A numeric table read from a CSV file.

    ``columns``: the header names, in file order. ``values``: float64 array of shape
    ``(rows, len(columns))``, read-only. ``path``: the file it came from, as given.
    ``format``: its separator and decimal mark. Tables compare by identity (``eq=False``),
    since arrays have no single truth value.
    """

    columns: tuple[str, ...]
    values: np.ndarray  # float64, shape (rows, columns)
    path: str
    format: CsvFormat = field(default_factory=CsvFormat)

    def __post_init__(self) -> None:
        """Check the shape, store ``columns`` as a tuple and ``values`` as a read-only view."""
        columns = tuple(self.columns)
        values = np.asarray(self.values, dtype=np.float64).view()
        if values.ndim != 2 or values.shape[1] != len(columns):
            raise ValueError(f"values must have shape (rows, {len(columns)}), not {values.shape}")
        values.flags.writeable = False
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "values", values)

    @property
    def n_rows(self) -> int:
        """Number of data rows (the header is not counted)."""
        return int(self.values.shape[0])

    def select(self, names: Sequence[str]) -> np.ndarray:
        """Return the named columns, in the order given, as a new float64 array.

        Shape ``(rows, len(names))``. Raises :class:`DataError` naming an unknown column and
        listing the available ones; :class:`TypeError` if ``names`` is a single string.
        """
        if isinstance(names, str):
            raise TypeError("names must be a sequence of column names, not a single string")
        index = {name: i for i, name in enumerate(self.columns)}
        picked: list[int] = []
        for name in names:
            if name not in index:
                available = ", ".join(_quote(c) for c in self.columns)
                raise DataError(
                    f"{_show(self.path)}: no column {_quote(name)} (the columns are {available})"
                )
            picked.append(index[name])
        return np.array(self.values[:, picked], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class CsvData:
    """What ``read_columns`` read: the input and target columns of a CSV file.

    ``inputs`` float64 ``(rows, len(input_columns))`` and ``targets`` float64
    ``(rows, len(target_columns))``, both C-contiguous, columns in file order within each;
    ``columns`` is the whole header. ``classes``: the class names of a single target column
    that is a class column (text labels, or 0/1), its values being class numbers; else
    ``None``. ``dropped_rows``: rows skipped for missing values (``drop_missing``).
    """

    path: str
    columns: tuple[str, ...]
    input_columns: tuple[str, ...]
    target_columns: tuple[str, ...]
    inputs: np.ndarray
    targets: np.ndarray
    classes: tuple[str, ...] | None
    dropped_rows: int
    format: CsvFormat


TargetChoice = Sequence[str] | Callable[[tuple[str, ...]], Sequence[int]] | None
"""Which columns are targets: names, a function of the header giving column indices (it may
raise ``DataError``), or ``None`` for none (every column a numeric input)."""


def read_csv(
    path: str | os.PathLike[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    separator: str | None = None,
    decimal: str | None = None,
) -> Table:
    """Read a CSV file of numbers with a header row into a :class:`Table`.

    Every data cell must be a finite number (the file rules are in the module docstring);
    a single column is allowed (the caller decides what it needs). ``separator`` (``","``,
    ``";"``, ``"\\t"``) and ``decimal`` (``"."``, ``","``) default to what the file looks
    like. Raises :class:`DataError` for every problem with the file, :class:`ValueError` for
    a ``max_bytes`` below 1 or an unknown separator or decimal mark.
    """
    data = read_columns(path, None, separator=separator, decimal=decimal, max_bytes=max_bytes)
    return Table(columns=data.columns, values=data.inputs, path=data.path, format=data.format)


def write_csv_text(columns: Sequence[str], values: np.ndarray) -> str:
    """Return CSV text: a header row, then one row per row of ``values``.

    ``values`` has shape ``(rows, len(columns))``. Numbers are written as ``repr(float(x))``,
    so :func:`read_csv` gives back identical float64 values. Names are quoted when needed.
    Lines end with ``"\\n"``, the last one too. NaN and infinity are written as ``nan``,
    ``inf`` and ``-inf`` (which :func:`read_csv` rejects). Raises :class:`ValueError` on a
    shape mismatch or when there are no columns.
    """
    if isinstance(columns, str):
        raise TypeError("columns must be a sequence of names, not a single string")
    names = [str(c) for c in columns]
    if not names:
        raise ValueError("at least one column is needed")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != len(names):
        raise ValueError(f"values must have shape (rows, {len(names)}), not {array.shape}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in array.tolist():
        writer.writerow([repr(float(x)) for x in row])
    return out.getvalue()


def is_missing(cell: str) -> bool:
    """Whether a (stripped) cell is a missing value: empty, NA, N/A, NaN, null or ?."""
    return len(cell) <= 4 and cell.lower() in MISSING_MARKERS


def is_number(cell: str, format: CsvFormat | None = None) -> bool:
    """Whether a (stripped) cell is a number in ``format``, or a word for infinity or NaN."""
    if format is not None and format.decimal == ",":
        if "." in cell:
            return False
        cell = cell.replace(",", ".")
    return bool(_NUMBER.fullmatch(cell) or _NON_FINITE.fullmatch(cell))


# --- the format ----------------------------------------------------------------------------

# A number written with a decimal comma (and no point): 1,5  -0,25  ,5  3,0e-2
_COMMA_NUMBER = re.compile(r"[+-]?+(?:[0-9]++,[0-9]*+|,[0-9]++)(?:[eE][+-]?+[0-9]++)?+")


def detect_format(sample: str) -> CsvFormat:
    """The separator and decimal mark of CSV text, judged from its first lines.

    For each separator (comma, semicolon, tab) the first rows are split; the one that gives
    the header more than one column and the most rows of the header's width wins, then the
    one giving more columns (a tie goes to the comma, then the semicolon). When no separator
    gives the header two columns the file is read as one comma-separated column: a comma in
    its cells then makes the rows too wide, which is refused, rather than a decimal comma
    guessed wrongly, which would give wrong numbers. A file whose data cells hold numbers
    with a decimal comma (``1,5``) and whose separator is not the comma uses the decimal
    comma. A sample
    that decides nothing (one column of plain numbers, empty) is comma-separated with a
    decimal point.
    """
    best: tuple[tuple[bool, float, int, int], str, list[list[str]]] | None = None
    for preference, separator in enumerate(SEPARATORS):
        rows = _sample_rows(sample, separator)
        if not rows:
            continue
        width = len(rows[0])
        share = sum(len(row) == width for row in rows) / len(rows)
        key = (width > 1, share if width > 1 else 0.0, width, -preference)
        if best is None or key > best[0]:
            best = (key, separator, rows)
    if best is None:
        return CsvFormat()
    _, separator, rows = best
    decimal = "."
    if separator != "," and any(_COMMA_NUMBER.fullmatch(cell) for row in rows[1:] for cell in row):
        decimal = ","
    return CsvFormat(separator, decimal)


def _sample_rows(sample: str, separator: str) -> list[list[str]]:
    """Up to ``_SAMPLE_ROWS`` non-blank rows of ``sample`` split at ``separator``, stripped."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=separator)
    try:
        for cells in reader:
            stripped = [c.strip() for c in cells]
            if not stripped or stripped == [""]:
                continue
            rows.append(stripped)
            if len(rows) >= _SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    return rows


def _choose_format(sample: bytes, separator: str | None, decimal: str | None) -> CsvFormat:
    """The format given, with what is not given detected from ``sample`` (the file's start)."""
    if separator is not None and separator not in SEPARATORS:
        known = ", ".join(repr(s) for s in SEPARATORS)
        raise ValueError(f"separator must be one of {known}, not {separator!r}")
    if decimal is not None and decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    if separator is None or decimal is None:
        text = sample.decode("utf-8", errors="replace").lstrip("\ufeff")
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if len(sample) >= _SAMPLE_BYTES and cut > 0:
            text = text[: cut + 1]  # whole lines only
        if separator is None:
            detected = detect_format(text)
            separator = detected.separator
            decimal = decimal or (detected.decimal if detected.separator == separator else ".")
        else:
            decimal = decimal or (
                "," if separator != "," and _has_decimal_comma(text, separator) else "."
            )
    if decimal == "," and separator == ",":
        decimal = "."  # a comma cannot be both; the comma separates cells
    return CsvFormat(separator, decimal)


def _has_decimal_comma(text: str, separator: str) -> bool:
    rows = _sample_rows(text, separator)
    return any(_COMMA_NUMBER.fullmatch(cell) for row in rows[1:] for cell in row)


# --- the reader ----------------------------------------------------------------------------


def read_columns(
    path: str | os.PathLike[str],
    targets: TargetChoice = None,
    *,
    drop_missing: bool = False,
    missing_hint: str = "",
    separator: str | None = None,
    decimal: str | None = None,
    progress: Callable[[float], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CsvData:
    """Read a CSV file (see the module docstring for the rules) into ``CsvData``.

    ``targets`` says which columns are targets (see ``TargetChoice``); only they may hold
    text. ``drop_missing`` skips rows with missing values instead of refusing the file;
    ``missing_hint`` is added to the message that refuses them (how to skip them).
    ``progress(fraction)`` is called with non-decreasing fractions from 0 to 1 (at least
    every 2% of a large file, 1.0 last, on success); an exception it raises stops the
    reading and propagates (a way to cancel). Raises :class:`DataError` for every problem
    with the file or the target choice, :class:`ValueError` for a ``max_bytes`` below 1 or
    an unknown separator or decimal mark.
    """
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    report = _Progress(progress)
    report(0.0, force=True)
    shown = os.fsdecode(os.fspath(path))
    name = _show(shown)
    handle, size = _open(shown, name, max_bytes)
    with handle:
        lines, sample = _survey(handle, name, size, max_bytes, report)
        format = _choose_format(sample, separator, decimal)
        handle.seek(0)
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        try:
            reader = _Reader(
                shown, name, format, targets, drop_missing, missing_hint, lines, report
            )
            data = reader.read(text)
        except UnicodeDecodeError:
            handle.seek(0)
            _decode(handle.read(max_bytes + 1), name)  # raises DataError naming the line
            raise DataError(f"{name}: the file is not UTF-8 text; save it as UTF-8 CSV") from None
        finally:
            text.detach()
    report(1.0)
    return data


def _open(shown: str, name: str, max_bytes: int) -> tuple[Any, int]:
    """The open file and its size; :class:`DataError` for a file that cannot be read."""
    try:
        handle, size = open_regular_file(shown)
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a folder, not a file") from None
    except NotARegularFileError:
        raise DataError(f"{name}: {NOT_REGULAR}; give a data file") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read the file ({_reason(exc)})") from None
    if size > max_bytes:
        handle.close()
        raise DataError(f"{name}: {_too_large(size, max_bytes)}")
    return handle, size


def _survey(
    handle: Any, name: str, size: int, max_bytes: int, report: _Progress
) -> tuple[int, bytes]:
    """Count the lines of the file (an upper bound on its rows) and keep its first bytes."""
    chunk_size = 1024 * 1024
    newlines = returns = pairs = done = 0
    sample = b""
    previous = b""
    while True:
        try:
            chunk = handle.read(chunk_size)
        except OSError as exc:
            raise DataError(f"{name}: cannot read the file ({_reason(exc)})") from None
        if not chunk:
            break
        if not sample:
            sample = chunk[:_SAMPLE_BYTES]
        newlines += chunk.count(b"\n")
        returns += chunk.count(b"\r")
        pairs += chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
        previous = chunk[-1:]
        done += len(chunk)
        if done > max_bytes:
            raise DataError(f"{name}: the file grew larger than {_mb(max_bytes)} while reading")
        report(_SURVEY_SHARE * done / max(size, 1))
    return newlines + returns - pairs + 1, sample


class _Reader:
    """One reading of a file: the parse loop and what it collects (see ``read_columns``)."""

    def __init__(
        self,
        shown: str,
        name: str,
        format: CsvFormat,
        targets: TargetChoice,
        drop_missing: bool,
        missing_hint: str,
        lines: int,
        report: _Progress,
    ) -> None:
        self.shown = shown
        self.name = name
        self.format = format
        self.targets = targets
        self.drop_missing = drop_missing
        self.lines = lines
        self.report = report
        self.comma = format.decimal == ","
        self.problems = _Problems(missing_hint, text_note=targets is not None)

    def read(self, text: Iterable[str]) -> CsvData:
        name = self.name
        rows = _Rows(text, name, self.format.separator)
        first = rows.next_row()
        if first is None:
            raise DataError(f"{name}: the file is empty")
        header_line, raw_header = first
        header = [cell.strip() for cell in raw_header]
        _check_header(header, header_line, name, self.format)
        self.header = header
        width = len(header)
        target_index = _resolve_targets(self.targets, tuple(header), name)
        chosen = set(target_index)
        input_index = [i for i in range(width) if i not in chosen]
        capacity = max(self.lines - header_line, 1)
        self.inputs = np.empty((capacity, len(input_index)))
        self.target_values = np.empty((capacity, len(target_index)))
        # column -> (is it a target, its position in the inputs or the targets)
        self.place = {c: (False, j) for j, c in enumerate(input_index)}
        self.place.update({c: (True, j) for j, c in enumerate(target_index)})
        self.labels = {c: _LabelColumn(c, capacity) for c in target_index}
        self.kept = 0
        self.data_rows = 0
        self.dropped = 0
        block_rows = min(max(capacity // 64, 16), max(_BLOCK_CELLS // width, 16))
        while True:
            first_line, block, consecutive = rows.block(block_rows)
            if not block:
                break
            self._block(first_line, block, consecutive)
            self.report(
                _SURVEY_SHARE + (_PARSE_END - _SURVEY_SHARE) * min(rows.line / self.lines, 1.0)
            )
        if self.data_rows == 0:
            raise DataError(f"{name}: no data rows (the file has only the header line)")
        kept = self.kept
        classes = self._finish_targets(target_index, kept)
        self.problems.raise_first()
        if kept == 0:
            every = (
                "the only data row has"
                if self.dropped == 1
                else f"all {self.dropped} data rows have"
            )
            raise DataError(f"{name}: no rows left: {every} missing values")
        inputs = _trimmed(self.inputs, kept)
        targets = _trimmed(self.target_values, kept)
        self.report(0.99)
        return CsvData(
            path=self.shown,
            columns=tuple(header),
            input_columns=tuple(header[i] for i in input_index),
            target_columns=tuple(header[i] for i in target_index),
            inputs=inputs,
            targets=targets,
            classes=classes,
            dropped_rows=self.dropped,
            format=self.format,
        )

    # -- one block of rows ---------------------------------------------------------------

    def _block(self, first_line: int, block: list[list[str]], consecutive: bool) -> None:
        width = len(self.header)
        lines: list[int] | None = None
        if not (
            all(len(row) == width for row in block)
            and (width > 1 or all(row[0].strip() for row in block))
        ):
            lines = _row_lines(block, first_line, consecutive)
            kept_rows, kept_lines = [], []
            for row, line in zip(block, lines):
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line
                self.data_rows += 1
                if len(row) != width:
                    row_cells = [c.strip() for c in row]
                    self.problems.note(
                        "ragged",
                        (line, min(len(row_cells), width) + 1),
                        _ragged(self.name, line, self.header, row_cells),
                    )
                    continue
                kept_rows.append(row)
                kept_lines.append(line)
            block, lines = kept_rows, kept_lines
            if not block:
                return
        else:
            self.data_rows += len(block)
        count = len(block)
        start = self.kept
        if start + count > self.inputs.shape[0]:
            self._grow(start + count)
        state = _BlockState(count, lines, first_line, consecutive, block)
        for c, cells in enumerate(zip(*block)):
            self._column(c, list(map(str.strip, cells)), start, state)
        if state.missing is None:
            self.kept += count
            return
        missing = state.missing
        n_missing = int(missing.sum())
        if self.drop_missing:
            self.dropped += n_missing
            keep = np.flatnonzero(~missing)
            for array in (self.inputs, self.target_values):
                array[start : start + keep.size] = array[start + keep]
            for label in self.labels.values():
                label.compact(start, keep)
            self.kept += keep.size
            return
        i, c, cell = state.first_missing
        line = state.line(i)
        shown_cell = "(empty cell)" if not cell else _quote(cell)
        self.problems.note(
            "missing",
            (line, c + 1),
            f"{_where(self.name, line, self.header, c)}: missing value {shown_cell}",
            count=n_missing,
        )
        self.kept += count

    def _column(self, c: int, cells: list[str], start: int, state: _BlockState) -> None:
        """Check and convert one column of a block into its place in the output arrays."""
        is_target, j = self.place[c]
        array = self.target_values if is_target else self.inputs
        joined = "|".join(cells)
        if self.comma:
            joined = "" if "." in joined else joined.replace(",", ".")
        if joined and _NUMBERS.fullmatch(joined) and joined.count("|") == len(cells) - 1:
            values = np.array(joined.split("|") if self.comma else cells, dtype=np.float64)
            if np.isfinite(values).all():
                array[start : start + len(cells), j] = values
                label = self.labels.get(c)
                if label is not None:
                    label.numbers(values, state)
                return
        self._column_cells(c, cells, start, state, array, j)

    def _column_cells(
        self,
        c: int,
        cells: list[str],
        start: int,
        state: _BlockState,
        array: np.ndarray,
        j: int,
    ) -> None:
        """The slow way, cell by cell: convert what can be, note every problem."""
        label = self.labels.get(c)
        name, header, comma = self.name, self.header, self.comma
        values = np.zeros(len(cells))
        numeric = np.zeros(len(cells), dtype=bool)
        for i, cell in enumerate(cells):
            if len(cell) <= 4 and cell.lower() in MISSING_MARKERS:
                state.mark_missing(i, c, cell)
                if label is not None:
                    label.add_missing(start + i)
                continue
            text = cell
            if comma and "," in text and "." not in text:
                text = text.replace(",", ".")
            if _NUMBER.fullmatch(text) and not (comma and "." in cell):
                number = float(text)
                if math.isfinite(number):
                    values[i] = number
                    numeric[i] = True
                    continue
                kind, what = "non-finite", "is not a finite number"
            elif _NON_FINITE.fullmatch(cell):
                kind, what = "non-finite", "is not a finite number"
            elif label is not None:
                label.add_text(cell, start + i, state.line(i))
                continue
            else:
                kind, what = "text", "is not a number"
                if comma and _NUMBER.fullmatch(cell):
                    what += " (the file writes decimals with a comma, as in 1,5)"
            line = state.line(i)
            self.problems.note(
                kind, (line, c + 1), f"{_where(name, line, header, c)}: {_quote(cell)} {what}"
            )
        array[start : start + len(cells), j] = values
        if label is not None and numeric.any():
            label.numbers(values[numeric], state, np.flatnonzero(numeric))

    def _grow(self, needed: int) -> None:
        capacity = max(needed, self.inputs.shape[0] * 3 // 2 + 16)
        self.inputs = _resized(self.inputs, capacity)
        self.target_values = _resized(self.target_values, capacity)
        for label in self.labels.values():
            label.grow(capacity)

    # -- the targets ---------------------------------------------------------------------

    def _finish_targets(self, target_index: list[int], kept: int) -> tuple[str, ...] | None:
        """Class numbers for a text class column; the classes of a single class column."""
        header, name, problems = self.header, self.name, self.problems
        several = len(target_index) > 1
        classes = None
        for j, c in enumerate(target_index):
            label = self.labels[c]
            column = self.target_values[:kept, j]
            if not label.texts:
                continue
            if several:
                line, text = label.first_text()
                problems.note(
                    "target-text",
                    (line, c + 1),
                    f"{_where(name, line, header, c)}: {_quote(text)} is not a number; text "
                    f"class labels are allowed only when there is a single target column "
                    f"({len(target_index)} are chosen)",
                )
                continue
            classes = label.to_classes(column, kept, name, header, problems)
        if classes is None and len(target_index) == 1 and kept:
            column = self.target_values[:kept, 0]
            if np.all((column == 0.0) | (column == 1.0)):
                column[column == 0.0] = 0.0  # -0.0 is class 0 too
                classes = ("0", "1")
        return classes


class _BlockState:
    """Per-block bookkeeping: line numbers (computed when a message needs them), missing rows."""

    __slots__ = ("count", "lines", "first_line", "consecutive", "block", "missing", "first_missing")

    def __init__(
        self,
        count: int,
        lines: list[int] | None,
        first_line: int,
        consecutive: bool,
        block: list[list[str]],
    ) -> None:
        self.count = count
        self.lines = lines
        self.first_line = first_line
        self.consecutive = consecutive
        self.block = block
        self.missing: np.ndarray | None = None
        self.first_missing: tuple[int, int, str] = (count, 0, "")

    def line(self, i: int) -> int:
        """The physical line row ``i`` of the block starts on."""
        if self.lines is None:
            self.lines = _row_lines(self.block, self.first_line, self.consecutive)
        return self.lines[i]

    def mark_missing(self, i: int, c: int, cell: str) -> None:
        if self.missing is None:
            self.missing = np.zeros(self.count, dtype=bool)
        if not self.missing[i]:
            self.missing[i] = True
            if i < self.first_missing[0]:
                self.first_missing = (i, c, cell)


class _LabelColumn:
    """A target column that may hold text: its text labels and where each first appears.

    ``codes[row]`` is ``-1`` for a number (its value is in the target array), ``-2`` for a
    missing value, or the code of its text label; ``texts[label] = [code, first line]``. The
    first distinct numbers are remembered with their first line too (``number_lines``), to
    name the label beyond ``MAX_CLASSES`` in a column mixing numbers and text.
    """

    def __init__(self, index: int, capacity: int) -> None:
        self.index = index
        self.capacity = capacity
        self.codes: np.ndarray | None = None
        self.texts: dict[str, list[int]] = {}
        self.overflow = False
        self.number_lines: dict[float, int] = {}

    def add_text(self, text: str, row: int, line: int) -> None:
        if self.codes is None:
            self.codes = np.full(self.capacity, -1, dtype=np.int32)
        entry = self.texts.get(text)
        if entry is None:
            if len(self.texts) >= _MAX_TRACKED_LABELS:
                self.overflow = True
                entry = [_MAX_TRACKED_LABELS, line]
            else:
                entry = [len(self.texts), line]
                self.texts[text] = entry
        self.codes[row] = entry[0]

    def add_missing(self, row: int) -> None:
        if self.codes is None:
            self.codes = np.full(self.capacity, -1, dtype=np.int32)
        self.codes[row] = -2

    def numbers(
        self, values: np.ndarray, state: _BlockState, rows: np.ndarray | None = None
    ) -> None:
        """Remember the first line of the first ``MAX_CLASSES + 1`` distinct numbers."""
        if len(self.number_lines) > MAX_CLASSES or not values.size:
            return
        unique, first = np.unique(values, return_index=True)
        for position in np.argsort(first, kind="stable")[: MAX_CLASSES + 1]:
            value = float(unique[position])
            if value not in self.number_lines:
                row = first[position] if rows is None else rows[first[position]]
                self.number_lines[value] = state.line(int(row))
                if len(self.number_lines) > MAX_CLASSES:
                    return

    def grow(self, capacity: int) -> None:
        self.capacity = capacity
        if self.codes is not None:
            codes = np.full(capacity, -1, dtype=np.int32)
            codes[: self.codes.size] = self.codes
            self.codes = codes

    def compact(self, start: int, keep: np.ndarray) -> None:
        if self.codes is not None:
            self.codes[start : start + keep.size] = self.codes[start + keep]

    def first_text(self) -> tuple[int, str]:
        return min((entry[1], text) for text, entry in self.texts.items())

    def to_classes(
        self, column: np.ndarray, kept: int, name: str, header: list[str], problems: _Problems
    ) -> tuple[str, ...] | None:
        """Turn ``column`` (a view of the targets) into class numbers; the sorted class names.

        Notes a ``classes`` problem (and returns ``None``) beyond ``MAX_CLASSES`` labels.
        """
        # No codes yet: every value so far is a number.
        codes = np.full(kept, -1, dtype=np.int32) if self.codes is None else self.codes[:kept]
        is_number = codes == -1
        is_text = codes >= 0
        numbers = np.unique(column[is_number])
        total = len(self.texts) + numbers.size
        if self.overflow or total > MAX_CLASSES:
            c = self.index
            seen = [(line, text) for text, (_, line) in self.texts.items()]
            seen += [(line, _label_text(value)) for value, line in self.number_lines.items()]
            line, label = sorted(seen)[MAX_CLASSES]
            found = f"more than {total}" if self.overflow else str(total)
            problems.note(
                "classes",
                (line, c + 1),
                f"{_where(name, line, header, c)}: {_quote(label)} is label number "
                f"{MAX_CLASSES + 1}; a class column may have at most {MAX_CLASSES} different "
                f"labels ({found} found; is {_quote(header[c])} the right target column?)",
            )
            return None
        number_texts = [_label_text(v) for v in numbers.tolist()]
        names = sorted(set(self.texts) | set(number_texts))
        rank = {label: float(position) for position, label in enumerate(names)}
        text_rank = np.zeros(len(self.texts))
        for text, (code, _) in self.texts.items():
            text_rank[code] = rank[text]
        number_rank = np.array([rank[t] for t in number_texts])
        new = np.zeros(kept)
        new[is_text] = text_rank[codes[is_text]]
        if number_rank.size:
            new[is_number] = number_rank[np.searchsorted(numbers, column[is_number])]
        column[:] = new
        return tuple(names)


def _label_text(value: float) -> str:
    """A number as a class label: its shortest text, ``2`` for 2.0, ``0`` for -0.0."""
    if value == 0.0:
        return "0"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


class _Rows:
    """The rows of a CSV text, in blocks, with the physical line each block starts on."""

    def __init__(self, text: Iterable[str], name: str, separator: str) -> None:
        self.name = name
        self.reader = csv.reader(itertools.chain(text, [_SENTINEL + "\n"]), delimiter=separator)
        self.line = 0  # physical lines read so far
        self.done = False

    def next_row(self) -> tuple[int, list[str]] | None:
        """The first non-blank row still to come, with its line, or ``None``."""
        while True:
            first_line, rows, _ = self.block(1)
            if not rows:
                return None
            row = rows[0]
            if row and not (len(row) == 1 and not row[0].strip()):
                return first_line, row

    def block(self, count: int) -> tuple[int, list[list[str]], bool]:
        """Up to ``count`` raw rows, the line of the first, and whether each is one line."""
        first_line = self.line + 1
        if self.done:
            return first_line, [], True
        try:
            rows = list(itertools.islice(self.reader, count))
        except csv.Error as exc:
            line = max(self.reader.line_num, first_line)
            raise DataError(
                f"{self.name}, line {line}: not valid CSV ({exc}); is a quote opened before "
                "it never closed?"
            ) from None
        end = self.reader.line_num
        if len(rows) < count:
            self.done = True
        if rows and rows[-1] and _SENTINEL in rows[-1][-1]:
            last = rows.pop()
            if last != [_SENTINEL]:
                raise DataError(
                    f"{self.name}: unclosed quote starting at line {_quote_line(last, end)}"
                )
            end -= 1
            self.done = True
        self.line = end
        return first_line, rows, end - first_line + 1 == len(rows)


def _quote_line(row: list[str], end: int) -> int:
    """The line on which the unclosed quoted cell (the last of ``row``) starts.

    ``end`` is the line of the sentinel, which the open cell swallowed: the text before it
    spans the last real line and one line per line break in it (less a final break, which
    ends the last real line).
    """
    text = row[-1][: row[-1].index(_SENTINEL)]
    breaks = len(_NEWLINE.findall(text))
    if text.endswith(("\n", "\r")):
        breaks -= 1
    return max(end - 1 - breaks, 1)


def _row_lines(rows: list[list[str]], first_line: int, consecutive: bool) -> list[int]:
    """The line each row starts on; a row spans one line plus the line breaks in its cells."""
    if consecutive:
        return list(range(first_line, first_line + len(rows)))
    lines = []
    line = first_line
    for row in rows:
        lines.append(line)
        line += 1 + sum(len(_NEWLINE.findall(cell)) for cell in row if "\n" in cell or "\r" in cell)
    return lines


def _resolve_targets(targets: TargetChoice, header: tuple[str, ...], name: str) -> list[int]:
    """Column indices of the targets; :class:`DataError` for unknown or repeated names."""
    if targets is None:
        return []
    if callable(targets):
        chosen = [int(i) for i in targets(header)]
        if len(set(chosen)) != len(chosen) or not all(0 <= i < len(header) for i in chosen):
            raise ValueError(f"target columns {chosen} do not fit the {len(header)} columns")
        return chosen
    if isinstance(targets, str):
        raise TypeError("target columns must be a sequence of column names, not a single string")
    index = {column: i for i, column in enumerate(header)}
    chosen = []
    for column in targets:
        if column not in index:
            available = ", ".join(_quote(c) for c in header)
            raise DataError(f"{name}: no column {_quote(column)} (the columns are {available})")
        if index[column] in chosen:
            raise DataError(f"{name}: the target column {_quote(column)} is chosen twice")
        chosen.append(index[column])
    if not chosen:
        raise DataError(f"{name}: choose at least one target column")
    if len(chosen) == len(header):
        raise DataError(
            f"{name}: every column is a target; at least one column must remain as an input"
        )
    return chosen


def _resized(array: np.ndarray, rows: int) -> np.ndarray:
    """``array`` with ``rows`` rows (the first rows kept)."""
    out = np.empty((rows, array.shape[1]))
    n = min(rows, array.shape[0])
    out[:n] = array[:n]
    return out


def _trimmed(array: np.ndarray, rows: int) -> np.ndarray:
    """The first ``rows`` rows of ``array``, shrinking it in place when it can (no copy)."""
    if rows == array.shape[0]:
        return array
    try:
        array.resize((rows, array.shape[1]), refcheck=False)
        return array
    except ValueError:
        return np.array(array[:rows])


# --- reading helpers shared with the preview ----------------------------------------------


def _decode(raw: bytes, name: str) -> str:
    """Decode UTF-8, naming the line of the first bad byte on failure."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", errors="replace")
        line = len(_NEWLINE.findall(prefix)) + 1
        byte = raw[exc.start]
        raise DataError(
            f"{name}, line {line}: the file is not UTF-8 text (bad byte 0x{byte:02x}); "
            "save it as UTF-8 CSV"
        ) from None


def _iter_rows(
    text: str, name: str, format: CsvFormat | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first physical line, stripped cells)`` for each non-blank CSV row of ``text``.

    Raises :class:`DataError` naming the line where the CSV syntax breaks (e.g. a quote that
    is never closed).
    """
    rows = _Rows(io.StringIO(text, newline=""), name, (format or CsvFormat()).separator)
    while True:
        first_line, block, consecutive = rows.block(64)
        if not block:
            return
        for line, row in zip(_row_lines(block, first_line, consecutive), block):
            stripped = list(map(str.strip, row))
            if not stripped or (len(stripped) == 1 and not stripped[0]):
                continue
            yield line, stripped


def _check_header(header: list[str], line: int, name: str, format: CsvFormat | None = None) -> None:
    """Reject a first row of numbers, empty column names and duplicate names."""
    # A first row of numbers (perhaps with some empty cells) is data, not a header.
    filled = [c for c in header if c]
    if filled and all(is_number(c, format) for c in filled):
        raise DataError(
            f"{name}, line {line}: no header row (the first line must name the columns)"
        )
    for i, column in enumerate(header, start=1):
        if not column:
            raise DataError(f"{name}, line {line}, column {i}: the column name is empty")
    seen: dict[str, list[int]] = {}
    for i, column in enumerate(header, start=1):
        seen.setdefault(column, []).append(i)
    for column, where in seen.items():
        if len(where) > 1:
            places = ", ".join(str(i) for i in where[:-1]) + f" and {where[-1]}"
            raise DataError(
                f"{name}, line {line}: the column name {_quote(column)} is used "
                f"{_times(len(where))} (columns {places})"
            )


class _Progress:
    """Calls ``callback`` with non-decreasing fractions, skipping steps under 1%."""

    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self.callback = callback
        self.last = -1.0

    def __call__(self, fraction: float, force: bool = False) -> None:
        if self.callback is None:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        if fraction < self.last:
            fraction = self.last
        if force or fraction >= self.last + 0.01 or (fraction == 1.0 and self.last < 1.0):
            self.last = fraction
            self.callback(fraction)


_NOUNS = {
    "ragged": ("row with the wrong number of cells", "rows with the wrong number of cells"),
    "text": ("non-numeric cell", "non-numeric cells"),
    "non-finite": ("non-finite cell", "non-finite cells"),
}


class _Problems:
    """The first problem of each kind (by line, then column) and how many there are.

    ``missing_hint`` ends the message about missing values (how to skip them);
    ``text_note`` adds "only a target column may hold text" to the one about text.
    """

    def __init__(self, missing_hint: str = "", text_note: bool = False) -> None:
        self.first: dict[str, tuple[tuple[int, int], str]] = {}
        self.counts: dict[str, int] = {}
        self.missing_hint = missing_hint
        self.text_note = text_note

    def note(self, kind: str, where: tuple[int, int], message: str, count: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + count
        if kind not in self.first or where < self.first[kind][0]:
            self.first[kind] = (where, message)

    def raise_first(self) -> None:
        """Raise the earliest problem in the file, with the count of its kind."""
        if not self.first:
            return
        kind = min(self.first, key=lambda k: self.first[k][0])
        message = self.first[kind][1]
        count = self.counts[kind]
        if kind == "missing":
            verb = "has" if count == 1 else "have"
            message += f"; {pluralize(count, 'row')} {verb} missing values"
            if self.missing_hint:
                message += f"; {self.missing_hint}"
        elif count > 1 and kind in _NOUNS:
            singular, plural = _NOUNS[kind]
            message += f" (and {count - 1} more {singular if count == 2 else plural})"
        if kind == "text" and self.text_note:
            message += "; only a target column may hold text"
        raise DataError(message)


# --- message helpers ------------------------------------------------------------------


def _ragged(name: str, line: int, header: list[str], cells: list[str]) -> str:
    """Message for a row with the wrong number of cells, naming the first column affected."""
    width = len(header)
    if len(cells) < width:
        return (
            f"{_where(name, line, header, len(cells))}: the row ends after "
            f"{pluralize(len(cells), 'cell')}, the header has {pluralize(width, 'column')}"
        )
    return (
        f"{name}, line {line}, column {width + 1}: the row has {pluralize(len(cells), 'cell')}, "
        f"the header has {pluralize(width, 'column')}"
    )


def _where(name: str, line: int, header: list[str], c: int) -> str:
    """``data.csv, line 7, column "x2" (2)`` for 0-based column index ``c``."""
    return f"{name}, line {line}, column {_quote(header[c])} ({c + 1})"


def pluralize(n: int, noun: str, plural: str | None = None) -> str:
    """``1 cell`` / ``3 cells`` (``plural`` for nouns not made plural by an ``s``)."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def _times(n: int) -> str:
    """``twice`` / ``3 times``."""
    return "twice" if n == 2 else f"{n} times"


def _show(text: str, limit: int | None = None) -> str:
    """``text`` on one line: control characters escaped, cut to ``limit`` characters."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def _quote(text: str) -> str:
    """Cell or column text in double quotes, shortened and made printable for a message."""
    return '"' + _show(text, _MAX_SHOWN) + '"'


def _reason(exc: OSError) -> str:
    """Plain-word reason for an :class:`OSError`."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _mb(n_bytes: int) -> str:
    """A size in MiB, the unit of the caps (``200 MiB``)."""
    return size_text(n_bytes)


def _too_large(size: int, limit: int) -> str:
    """``the file is 250.3 MiB, more than the limit of 200 MiB`` (enough decimals to differ)."""
    size_text, limit_text = size_over_cap(size, limit)
    return f"the file is {size_text}, more than the limit of {limit_text}"
