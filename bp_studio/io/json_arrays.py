"""Numeric arrays inside JSON files, exact and compact: little-endian bytes in base64.

An array is written as one JSON object::

    {"dtype": "<f8", "shape": [3, 2], "base64": "AAAAAAAA8D8AAAAAAAAAQA..."}

- ``dtype``: ``"<f8"`` (float64) or ``"<i8"`` (int64), little-endian on every machine;
- ``shape``: the array's shape, C order (rows one after the other);
- ``base64``: the standard base64 (RFC 4648, with ``=`` padding, no line breaks) of the
  array's bytes, so its length is exactly ``4 * ceil(8 * prod(shape) / 3)``.

Every bit of a float64 is kept (no decimal text to round), a number takes 10.7 characters
(``repr`` takes about 20 for a random float64), and reading one needs no Python object per
number: the text is decoded straight into the array, piece by piece.

``array_chunks(array)`` yields the object's text in pieces, so writing a large array never
builds its whole text; ``decode_array(value, where)`` checks an object and decodes it, and
refuses (``ValueError`` naming ``where``) a shape that its text does not hold before
allocating anything: an array can never take more memory than its own text in the file.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "DTYPES",
    "array_chunks",
    "decode_array",
    "encoded_length",
    "is_encoded_array",
]

DTYPES: dict[str, np.dtype] = {"<f8": np.dtype("<f8"), "<i8": np.dtype("<i8")}
"""The element types an encoded array may have."""

FIELDS = frozenset(("dtype", "shape", "base64"))

MAX_DIMENSIONS = 8
"""More dimensions than any array of a BP Studio file has (consumers check their own)."""

PIECE_BYTES = 3 * 2**20
"""Bytes of array encoded or decoded at a time (a multiple of 3, so the pieces' base64 texts
join into the whole's)."""


def is_encoded_array(value: Any) -> bool:
    """Whether ``value`` (decoded JSON) is meant as an encoded array: an object with any of
    the fields ``dtype``, ``shape`` and ``base64`` (``decode_array`` then says what is
    wrong with it)."""
    return isinstance(value, dict) and not FIELDS.isdisjoint(value)


def encoded_length(nbytes: int) -> int:
    """Characters of the base64 text of ``nbytes`` bytes (with padding)."""
    return 4 * -(-nbytes // 3)


def array_chunks(array: np.ndarray) -> Iterator[str]:
    """The JSON text of ``array`` (floats as ``<f8``, whole numbers as ``<i8``), in pieces.

    ``TypeError`` for any other kind of array, ``ValueError`` for unsigned numbers that
    int64 cannot hold. The pieces are ASCII; joined, they are one JSON object (see the
    module docstring).
    """
    kind = array.dtype.kind
    if kind == "f":
        dtype = DTYPES["<f8"]
    elif kind in "iu":
        dtype = DTYPES["<i8"]
        if kind == "u" and array.size and int(array.max()) >= 2**63:
            raise ValueError("cannot encode whole numbers of 2**63 or more (int64)")
    else:
        raise TypeError(f"cannot encode an array of {array.dtype} (numbers only)")
    data = np.asarray(array, dtype=dtype, order="C")
    shape = json.dumps(list(data.shape))
    yield f'{{"dtype": "{dtype.str}", "shape": {shape}, "base64": "'
    view = data.reshape(-1).data.cast("B")
    for start in range(0, len(view), PIECE_BYTES):
        yield base64.b64encode(view[start : start + PIECE_BYTES]).decode("ascii")
    yield '"}'


def decode_array(value: Any, where: str) -> np.ndarray:
    """The array an encoded-array object holds (native byte order, C order, writable).

    ``ValueError`` naming ``where`` (and the field) when the object is not one: unknown or
    missing fields, another ``dtype``, a shape that is not a list of whole numbers, a text
    whose length does not fit the shape (checked before anything is allocated) or that is not
    strict base64.
    """
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an encoded array (dtype, shape, base64)")
    for key in value:
        if key not in FIELDS:
            raise ValueError(f"{where}.{key}: unexpected field in an encoded array")
    for key in ("dtype", "shape", "base64"):
        if key not in value:
            raise ValueError(f"{where}.{key}: missing")
    name = value["dtype"]
    if not isinstance(name, str) or name not in DTYPES:
        raise ValueError(f'{where}.dtype: expected "<f8" or "<i8", got {_shown(name)}')
    dtype = DTYPES[name]
    shape = value["shape"]
    if not isinstance(shape, list) or len(shape) > MAX_DIMENSIONS:
        raise ValueError(
            f"{where}.shape: expected a list of at most {MAX_DIMENSIONS} whole numbers"
        )
    count = 1
    for index, size in enumerate(shape):
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"{where}.shape[{index}]: expected a whole number of 0 or more")
        count *= size
    text = value["base64"]
    if not isinstance(text, str):
        raise ValueError(f"{where}.base64: expected text")
    nbytes = count * dtype.itemsize
    expected = encoded_length(nbytes)
    if len(text) != expected:
        raise ValueError(
            f"{where}.base64: has {len(text):,} characters, but the shape {shape} of "
            f"{count:,} numbers needs {expected:,}"
        )
    step = PIECE_BYTES // 3 * 4
    if len(text) <= step:  # one piece: decoded at once
        array = np.frombuffer(_piece(text, nbytes, where), dtype=dtype).copy()
    else:
        array = np.empty(count, dtype=dtype)
        target = array.data.cast("B")
        for offset in range(0, len(text), step):
            start = offset // 4 * 3
            size = min(PIECE_BYTES, nbytes - start)
            target[start : start + size] = _piece(text[offset : offset + step], size, where)
    if not array.dtype.isnative:
        array = array.astype(dtype.newbyteorder("="))
    return array.reshape(shape)


def _piece(text: str, nbytes: int, where: str) -> bytes:
    """The ``nbytes`` bytes of a piece of base64 text (strict: no other characters, padding
    only at the very end)."""
    try:
        piece = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{where}.base64: not base64 text ({exc})") from None
    if len(piece) != nbytes:
        raise ValueError(f"{where}.base64: not base64 text (padding inside the text)")
    return piece


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."
