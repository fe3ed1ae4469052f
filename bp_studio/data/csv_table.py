"""A strict numeric CSV reader (and writer) for the command line and the engine.

The file must be UTF-8 (a BOM is allowed), comma-separated (the :mod:`csv` default dialect),
start with a header row naming the columns, and contain only finite numbers below it.
Anything else raises :class:`DataError` with a one-line message that names the file and,
where it applies, the physical line (the header is line 1) and the column, e.g.::

    data.csv, line 7, column "x2" (2): "abc" is not a number (and 3 more non-numeric cells)

Qt-free: numpy and the standard library only.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DataError", "Table", "read_csv", "write_csv_text"]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024

# A plain decimal number: optional sign, digits with an optional point, optional exponent.
# ASCII digits only; no underscores, no hex (stricter than float()).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Words float() reads as NaN or infinity; the reader recognises and rejects them.
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_NEWLINE = re.compile(r"\r\n|\r|\n")
_MAX_SHOWN = 40  # longest cell text quoted in a message


class DataError(ValueError):
    """A data file cannot be used; ``str(error)`` is a one-line message for the user.

    The message names the file and, where it applies, the line (1-based, the header is
    line 1) and the column (header name and 1-based index).
    """


@dataclass(frozen=True, eq=False)
class Table:
    """A numeric table read from a CSV file.

    ``columns``: the header names, in file order. ``values``: float64 array of shape
    ``(rows, len(columns))``, read-only. ``path``: the file it came from, as given.
    Tables compare by identity (``eq=False``), since arrays have no single truth value.
    """

    columns: tuple[str, ...]
    values: np.ndarray  # float64, shape (rows, columns)
    path: str

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


def read_csv(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Table:
    """Read a numeric CSV file with a header row into a :class:`Table`.

    Cells are stripped of surrounding whitespace; completely blank lines are ignored; a
    UTF-8 BOM is accepted. Every data cell must be a finite decimal number. A single column
    is allowed (the caller decides what it needs).

    Raises :class:`DataError` for: a missing file, a folder, a file larger than
    ``max_bytes``, text that is not UTF-8, an empty file, no header row, empty or duplicate
    column names, a header without data rows, rows with the wrong number of cells,
    non-numeric cells, empty cells and NaN or infinity. Raises :class:`ValueError` if
    ``max_bytes`` is not positive.
    """
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    shown_path = os.fsdecode(os.fspath(path))
    name = _show(shown_path)
    raw = _read_bytes(shown_path, name, max_bytes)
    text = _decode(raw, name)
    if text.startswith("\ufeff"):
        text = text[1:]

    rows = _parse(text, name)  # [(line number, stripped cells)], blank lines dropped
    if not rows:
        raise DataError(f"{name}: the file is empty")
    header_line, header = rows[0]
    _check_header(header, header_line, name)
    data_rows = rows[1:]
    if not data_rows:
        raise DataError(f"{name}: no data rows (the file has only the header line)")
    values = _convert(data_rows, header, name)
    return Table(columns=tuple(header), values=values, path=shown_path)


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


# --- reading steps ---------------------------------------------------------------------


def _read_bytes(
    path: str,
    name: str,
    max_bytes: int,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 4 * 1024 * 1024,
    limit: int | None = None,
) -> bytes:
    """Read at most ``max_bytes`` bytes of ``path``, raising :class:`DataError` on problems.

    With ``progress``, the file is read in pieces (a sixteenth of the file, at least 64 KiB
    and at most ``chunk`` bytes) and ``progress(bytes_read, expected_bytes)`` is called after
    each (``expected_bytes`` is the size the file had when opened, at least 1). With
    ``limit``, only the first ``limit`` bytes are read (for a preview); a file over
    ``max_bytes`` is still refused by its size.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"{name}: file not found") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read the file ({_reason(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{name}: is a folder, not a file")
    if stat.S_ISREG(st.st_mode) and st.st_size > max_bytes:
        raise DataError(f"{name}: {_too_large(st.st_size, max_bytes)}")
    try:
        with open(path, "rb") as f:
            if limit is not None:
                return f.read(min(limit, max_bytes + 1))
            if progress is None:
                raw = f.read(max_bytes + 1)
            else:
                expected = max(int(st.st_size), 1)
                step = max(min(chunk, expected // 16 + 1), 64 * 1024)  # >= 16 calls if large
                pieces: list[bytes] = []
                done = 0
                while done <= max_bytes:
                    piece = f.read(min(step, max_bytes + 1 - done))
                    if not piece:
                        break
                    pieces.append(piece)
                    done += len(piece)
                    progress(done, expected)
                raw = b"".join(pieces)
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a folder, not a file") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read the file ({_reason(exc)})") from None
    if len(raw) > max_bytes:
        raise DataError(f"{name}: the file is larger than the limit of {_mb(max_bytes)} MB")
    return raw


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


def _parse(text: str, name: str) -> list[tuple[int, list[str]]]:
    """Split CSV text into ``(first physical line, stripped cells)`` rows, skipping blanks."""
    return list(_iter_rows(text, name))


def _iter_rows(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first physical line, stripped cells)`` for each non-blank CSV row of ``text``.

    Raises :class:`DataError` naming the line where the CSV syntax breaks (e.g. a quote
    that is never closed).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = max(reader.line_num, previous_end + 1)
            raise DataError(f"{name}, line {line}: not valid CSV ({exc})") from None
        start = previous_end + 1
        previous_end = reader.line_num
        stripped = list(map(str.strip, cells))
        if not stripped or (len(stripped) == 1 and not stripped[0]):
            continue
        yield start, stripped


def _check_header(header: list[str], line: int, name: str) -> None:
    """Reject a first row of numbers, empty column names and duplicate names."""
    # A first row of numbers (perhaps with some empty cells) is data, not a header.
    filled = [c for c in header if c]
    if filled and all(_NUMBER.fullmatch(c) or _NON_FINITE.fullmatch(c) for c in filled):
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


def _convert(rows: list[tuple[int, list[str]]], header: list[str], name: str) -> np.ndarray:
    """Turn the data rows into a float64 array, or raise for the first problem in the file.

    The first problem (by line, then column) is reported, with a count of further problems
    of the same kind.
    """
    width = len(header)
    out: list[list[float]] = []
    row_pattern = re.compile(_NUMBER.pattern + r"(?:\|" + _NUMBER.pattern + ")*")
    # kind -> ((line, column) of its first occurrence, message for it)
    first: dict[str, tuple[tuple[int, int], str]] = {}
    counts: dict[str, int] = {"ragged": 0, "text": 0, "non-finite": 0, "missing": 0}

    def note(kind: str, where: tuple[int, int], message: str) -> None:
        counts[kind] += 1
        if kind not in first:
            first[kind] = (where, message)

    for line, cells in rows:
        # Fast path: the whole row is plain numbers (one regex call per row). The count
        # check rules out a quoted cell that itself contains the separator.
        joined = "|".join(cells)
        if len(cells) == width and row_pattern.fullmatch(joined) and joined.count("|") == width - 1:
            numbers = list(map(float, cells))
            if all(map(math.isfinite, numbers)):
                out.append(numbers)
                continue
        out.append([0.0] * width)  # placeholder: this row has a problem, found below
        if len(cells) != width:
            note(
                "ragged",
                (line, 0),
                f"{name}, line {line} has {pluralize(len(cells), 'cell')}, "
                f"the header has {pluralize(width, 'column')}",
            )
            continue
        row_missing = False
        for c, cell in enumerate(cells):
            if _NUMBER.fullmatch(cell):
                if math.isfinite(float(cell)):
                    continue
                kind, what = "non-finite", "is not a finite number"
            elif _NON_FINITE.fullmatch(cell):
                kind, what = "non-finite", "is not a finite number"
            elif not cell:
                if not row_missing:
                    row_missing = True
                    note(
                        "missing", (line, c + 1), f"{_where(name, line, header, c)}: missing value"
                    )
                continue
            else:
                kind, what = "text", "is not a number"
            note(kind, (line, c + 1), f"{_where(name, line, header, c)}: {_quote(cell)} {what}")

    if not first:
        return np.array(out, dtype=np.float64).reshape(len(rows), width)
    kind = min(first, key=lambda k: first[k][0])
    message = first[kind][1]
    more = counts[kind] - 1
    if kind == "missing":
        message += f" ({pluralize(counts[kind], 'row')} {'has' if counts[kind] == 1 else 'have'}"
        message += " missing values)"
    elif more:
        message += f" (and {more} more {_plural_noun(kind, more)})"
    raise DataError(message)


# --- message helpers ------------------------------------------------------------------


_PROBLEM_NOUNS = {
    "ragged": ("row with the wrong number of cells", "rows with the wrong number of cells"),
    "text": ("non-numeric cell", "non-numeric cells"),
    "non-finite": ("non-finite cell", "non-finite cells"),
}


def _plural_noun(kind: str, n: int) -> str:
    """Noun phrase for ``n`` further problems of ``kind`` (a key of ``_PROBLEM_NOUNS``)."""
    singular, plural = _PROBLEM_NOUNS[kind]
    return singular if n == 1 else plural


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


def _mb(n_bytes: int, digits: int = 1) -> str:
    """Size in MB (2**20 bytes) with up to ``digits`` decimals, trailing zeros dropped."""
    text = f"{n_bytes / (1024 * 1024):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _too_large(size: int, limit: int) -> str:
    """``the file is 250.3 MB, more than the limit of 200 MB`` (enough decimals to differ)."""
    for digits in range(1, 7):
        size_text, limit_text = _mb(size, digits), _mb(limit, digits)
        if size_text != limit_text:
            return f"the file is {size_text} MB, more than the limit of {limit_text} MB"
    return f"the file is {size} bytes, more than the limit of {limit} bytes"
