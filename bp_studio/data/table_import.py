"""CSV import for the window's File > Open data...: numeric inputs, numeric or text targets.

More lenient than :func:`bp_studio.data.csv_table.read_csv` (which stays strict for the command
line): a target column may hold text class labels. The file rules are the same as there: UTF-8
(a BOM is allowed), comma-separated, a header row naming the columns, cells stripped of
surrounding whitespace, blank lines ignored; the header is line 1.

``read_dataset(path, target_columns=None, drop_missing=False, progress=None)``:

- **Targets.** ``target_columns`` names the target columns (default: the last column); every
  other column is an input, in file order. ``X`` is ``(samples, inputs)`` float64.
- **Class column.** A single target column whose cells are not all numbers is a class column:
  its distinct labels, sorted in Python string order (so the class numbers do not depend on
  the row order and a training file and a test file agree), become ``Dataset.classes`` and
  ``T`` ``(samples, 1)`` holds the class numbers ``0 .. k-1`` (as floats);
  ``targets_for_loss("cross_entropy")`` turns them into one-hot columns. At most
  ``MAX_CLASSES`` labels are accepted (more usually means the wrong column was chosen).
- **Numeric targets.** Target columns that hold only numbers are regression targets, taken
  as they are: ``T`` is ``(samples, targets)`` and ``classes`` is ``None`` (a column of 0s and
  1s is a regression target too; a text class column is the way to ask for classes).
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

``preview_rows(path, rows=20)`` gives the header and the first rows as text for a preview
table, reading only the start of the file. ``progress(fraction)`` is called with
non-decreasing fractions from 0 to 1 (at least every 2% of the file for large files, 1.0
last, on success); an exception raised by it stops the import and propagates (a way to
cancel).

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import math
import operator
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bp_studio.data.csv_table import (
    _NON_FINITE,
    _NUMBER,
    _PROBLEM_NOUNS,
    DEFAULT_MAX_BYTES,
    DataError,
    _check_header,
    _decode,
    _iter_rows,
    _mb,
    _plural_noun,
    _quote,
    _read_bytes,
    _show,
    _where,
    pluralize,
)
from bp_studio.data.examples import Dataset

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DROP_MISSING_HINT",
    "MAX_CLASSES",
    "MISSING_MARKERS",
    "DataError",
    "preview_rows",
    "read_dataset",
]

MAX_CLASSES = 100
"""Most distinct labels a text class column may have."""
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "?"})
"""Cell texts (compared in lower case) that mean "missing value"."""
DROP_MISSING_HINT = 'open again with "Drop rows with missing values" to skip them'

_CHUNK_ROWS = 8192  # rows converted to a numpy block at a time (keeps memory near 8 B/cell)
_READ_SHARE = 0.2  # progress share of reading the bytes; parsing takes the rest up to 0.97


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


class _Problems:
    """The first problem of each kind (by line, then column) and how many there are."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[tuple[int, int], str]] = {}
        self.counts: dict[str, int] = {}

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
            message += f"; {pluralize(count, 'row')} {verb} missing values; {DROP_MISSING_HINT}"
        elif count > 1 and kind in _PROBLEM_NOUNS:
            message += f" (and {count - 1} more {_plural_noun(kind, count - 1)})"
        if kind == "text":
            message += "; only a target column may hold text"
        raise DataError(message)


class _TargetColumn:
    """The cells of one target column, as label codes (one dictionary entry per distinct text).

    ``labels[text] = (code, first line)``; ``codes`` holds one code per kept row (blocks of
    int32 arrays), ``-1`` for a missing cell.
    """

    def __init__(self, index: int) -> None:
        self.index = index
        self.labels: dict[str, tuple[int, int]] = {}
        self.pending: list[int] = []
        self.blocks: list[np.ndarray] = []

    def add(self, text: str, line: int) -> None:
        entry = self.labels.get(text)
        if entry is None:
            entry = (len(self.labels), line)
            self.labels[text] = entry
        self.pending.append(entry[0])

    def add_missing(self) -> None:
        self.pending.append(-1)

    def flush(self) -> None:
        if self.pending:
            self.blocks.append(np.array(self.pending, dtype=np.int32))
            self.pending = []

    def codes(self) -> np.ndarray:
        self.flush()
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.int32)


def read_dataset(
    path: str | os.PathLike[str],
    target_columns: Sequence[str] | None = None,
    drop_missing: bool = False,
    progress: Callable[[float], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Dataset:
    """Read a CSV file into a :class:`Dataset` (see the module docstring for the rules).

    ``Dataset.name`` is the file name without its extension, ``title`` the file name and
    ``source`` the path as given (plus a note on skipped rows). Raises :class:`DataError`
    for every problem with the file or the choice of target columns, :class:`TypeError` if
    ``target_columns`` is a single string and :class:`ValueError` if ``max_bytes`` is not
    positive.
    """
    if isinstance(target_columns, str):
        raise TypeError("target_columns must be a sequence of column names, not a single string")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    report = _Progress(progress)
    report(0.0, force=True)
    shown = os.fsdecode(os.fspath(path))
    name = _show(shown)
    raw = _read_bytes(
        shown, name, max_bytes, progress=lambda done, total: report(_READ_SHARE * done / total)
    )
    text = _decode(raw, name)
    del raw
    if text.startswith("\ufeff"):
        text = text[1:]

    rows = _iter_rows(text, name)
    first = next(rows, None)
    if first is None:
        raise DataError(f"{name}: the file is empty")
    header_line, header = first
    _check_header(header, header_line, name)
    width = len(header)
    if width < 2:
        raise DataError(
            f"{name}, line {header_line}: only one column ({_quote(header[0])}); the file needs "
            "at least one input column and a target column"
        )
    target_index = _target_indices(header, target_columns, name)
    input_index = [i for i in range(width) if i not in target_index]

    get_inputs = _getter(input_index)
    get_targets = _getter(target_index)
    targets = [_TargetColumn(i) for i in target_index]
    row_pattern = _NUMBERS
    n_inputs = len(input_index)
    problems = _Problems()
    pending: list[list[float]] = []
    blocks: list[np.ndarray] = []
    kept = 0
    missing_rows = 0
    data_rows = 0

    total_lines = max(text.count("\n"), text.count("\r")) + 1
    step = max(total_lines // 100, 1)
    next_report = step

    for line, cells in rows:
        data_rows += 1
        if line >= next_report:
            report(_READ_SHARE + (0.97 - _READ_SHARE) * line / total_lines)
            next_report = line + step
        if len(cells) != width:
            problems.note(
                "ragged", (line, min(len(cells), width) + 1), _ragged(name, line, header, cells)
            )
            continue
        x_cells = get_inputs(cells)
        t_cells = get_targets(cells)
        t_missing = [c for c in t_cells if len(c) <= 4 and c.lower() in MISSING_MARKERS]
        joined = "|".join(x_cells)
        if not t_missing and row_pattern.fullmatch(joined) and joined.count("|") == n_inputs - 1:
            numbers = list(map(float, x_cells))
            if all(map(math.isfinite, numbers)):
                pending.append(numbers)
                for column, cell in zip(targets, t_cells):
                    column.add(cell, line)
                kept += 1
                if len(pending) >= _CHUNK_ROWS:
                    blocks.append(np.array(pending, dtype=np.float64))
                    pending = []
                    for column in targets:
                        column.flush()
                continue
        # Slow path: find what is wrong with this row (or that it only has missing values).
        first_missing = next(
            (i for i, c in enumerate(cells) if len(c) <= 4 and c.lower() in MISSING_MARKERS),
            None,
        )
        if first_missing is not None:
            missing_rows += 1
            if drop_missing:
                continue
            cell = cells[first_missing]
            shown_cell = "(empty cell)" if not cell else _quote(cell)
            problems.note(
                "missing",
                (line, first_missing + 1),
                f"{_where(name, line, header, first_missing)}: missing value {shown_cell}",
            )
        numbers = []
        fine = first_missing is None
        for c in input_index:
            cell = cells[c]
            if len(cell) <= 4 and cell.lower() in MISSING_MARKERS:
                numbers.append(0.0)
                continue
            if _NUMBER.fullmatch(cell):
                number = float(cell)
                if math.isfinite(number):
                    numbers.append(number)
                    continue
                kind, what = "non-finite", "is not a finite number"
            elif _NON_FINITE.fullmatch(cell):
                kind, what = "non-finite", "is not a finite number"
            else:
                kind, what = "text", "is not a number"
            fine = False
            numbers.append(0.0)
            where = _where(name, line, header, c)
            problems.note(kind, (line, c + 1), f"{where}: {_quote(cell)} {what}")
        # A row with a problem keeps its place so that the targets stay aligned (the file is
        # refused at the end); a row without one (not expected here) is kept as it is.
        pending.append(numbers if fine else [0.0] * n_inputs)
        for column, cell in zip(targets, t_cells):
            if len(cell) <= 4 and cell.lower() in MISSING_MARKERS:
                column.add_missing()
            else:
                column.add(cell, line)
        kept += 1

    if data_rows == 0:
        raise DataError(f"{name}: no data rows (the file has only the header line)")
    T, classes = _targets(targets, header, name, problems)
    problems.raise_first()
    if kept == 0:
        every = (
            "the only data row has" if missing_rows == 1 else f"all {missing_rows} data rows have"
        )
        raise DataError(f"{name}: no rows left: {every} missing values")
    if pending:
        blocks.append(np.array(pending, dtype=np.float64))
    X = np.concatenate(blocks).reshape(kept, n_inputs)
    report(0.99)
    source = shown
    if drop_missing and missing_rows:
        source += f" ({pluralize(missing_rows, 'row')} with missing values skipped)"
    dataset = Dataset(
        name=Path(shown).stem or shown,
        title=Path(shown).name or shown,
        X=X,
        T=T,
        input_names=tuple(header[i] for i in input_index),
        target_names=tuple(header[i] for i in target_index),
        classes=classes,
        source=source,
    )
    report(1.0)
    return dataset


def preview_rows(
    path: str | os.PathLike[str], rows: int = 20, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[str], list[list[str]]]:
    """The header and the first ``rows`` data rows of a CSV file, as stripped cell texts.

    Reads only the start of the file. Rows are returned as they are (a row may have more
    or fewer cells than the header; the header is not checked), so the window can show a
    file that :func:`read_dataset` would refuse next to its message. Raises
    :class:`DataError`, with the same messages as :func:`read_dataset`, for a file that
    cannot be read: missing, a folder, larger than ``max_bytes``, not UTF-8 (in the part
    read), not valid CSV (in the part read) or empty.
    """
    if rows < 0:
        raise ValueError(f"rows must not be negative, not {rows}")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    shown = os.fsdecode(os.fspath(path))
    name = _show(shown)
    limit = 64 * 1024
    while True:
        raw = _read_bytes(shown, name, max_bytes, limit=limit)
        if len(raw) > max_bytes:
            raise DataError(f"{name}: the file is larger than the limit of {_mb(max_bytes)} MB")
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
            for _, cells in _iter_rows(text, name):
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
    return found[0], found[1 : rows + 1]


# --- helpers -------------------------------------------------------------------------------


def _getter(indices: list[int]) -> Callable[[list[str]], Sequence[str]]:
    """``cells -> [cells[i] for i in indices]``, fast."""
    if len(indices) == 1:
        only = indices[0]
        return lambda cells: (cells[only],)
    return operator.itemgetter(*indices)  # type: ignore[return-value]


def _target_indices(
    header: list[str], target_columns: Sequence[str] | None, name: str
) -> list[int]:
    """Column indices of the targets; :class:`DataError` for unknown or repeated names."""
    if target_columns is None:
        return [len(header) - 1]
    index = {column: i for i, column in enumerate(header)}
    chosen: list[int] = []
    for column in target_columns:
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


_NUMBERS = re.compile(_NUMBER.pattern + r"(?:\|" + _NUMBER.pattern + ")*")


def _all_numbers(labels: Sequence[str] | dict[str, object]) -> bool:
    """True if every label is a decimal number or a word for NaN or infinity."""
    joined = "|".join(labels)
    if _NUMBERS.fullmatch(joined) and joined.count("|") == len(labels) - 1:
        return True  # fast: one regex call for the whole column
    return all(_NUMBER.fullmatch(t) or _NON_FINITE.fullmatch(t) for t in labels)


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


def _targets(
    columns: list[_TargetColumn], header: list[str], name: str, problems: _Problems
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """``T`` and the class names from the collected target cells; notes problems found."""
    numeric = [_all_numbers(column.labels) for column in columns]
    if len(columns) == 1 and not numeric[0]:
        column = columns[0]
        c = column.index
        labels = sorted(column.labels)
        if len(labels) > MAX_CLASSES:
            by_line = sorted(column.labels.items(), key=lambda item: item[1])
            label, (_, line) = by_line[MAX_CLASSES]
            problems.note(
                "classes",
                (line, c + 1),
                f"{_where(name, line, header, c)}: {_quote(label)} is label number "
                f"{MAX_CLASSES + 1}; a class column may have at most {MAX_CLASSES} different "
                f"labels ({len(labels)} found; is {_quote(header[c])} the right target column?)",
            )
            return np.zeros((0, 1)), None
        rank = np.zeros(max(len(labels), 1), dtype=np.float64)
        for position, label in enumerate(labels):
            rank[column.labels[label][0]] = position
        codes = column.codes()
        return rank[np.maximum(codes, 0)].reshape(-1, 1), tuple(labels)

    values = []
    for column, is_numeric in zip(columns, numeric):
        c = column.index
        codes = column.codes()
        if not is_numeric:
            text_labels = sorted(
                (line, label)
                for label, (_, line) in column.labels.items()
                if not (_NUMBER.fullmatch(label) or _NON_FINITE.fullmatch(label))
            )
            line, label = text_labels[0]
            problems.note(
                "target-text",
                (line, c + 1),
                f"{_where(name, line, header, c)}: {_quote(label)} is not a number; text class "
                f"labels are allowed only when there is a single target column "
                f"({len(columns)} are chosen)",
            )
            values.append(np.zeros(codes.shape))
            continue
        table = np.zeros(max(len(column.labels), 1), dtype=np.float64)
        for label, (code, _) in column.labels.items():
            table[code] = float(label) if _NUMBER.fullmatch(label) else np.inf
        bad = ~np.isfinite(table)
        if bad.any():
            uses = np.bincount(codes[codes >= 0], minlength=table.size)
            (line, label) = min(
                (entry[1], label) for label, entry in column.labels.items() if bad[entry[0]]
            )
            problems.note(
                "non-finite",
                (line, c + 1),
                f"{_where(name, line, header, c)}: {_quote(label)} is not a finite number",
                count=int(uses[bad].sum()),
            )
        values.append(table[np.maximum(codes, 0)])
    return np.column_stack(values) if values else np.zeros((0, 0)), None
