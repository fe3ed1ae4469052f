"""Encoded arrays: every bit kept, the text's length tied to the shape, strict base64."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from bp_studio.io import json_arrays
from bp_studio.io.json_arrays import array_chunks, decode_array, encoded_length, is_encoded_array


def encoded(array: np.ndarray) -> dict:
    return json.loads("".join(array_chunks(array)))


def test_the_text_is_little_endian_bytes_in_base64() -> None:
    value = encoded(np.array([1.0, -2.0]))
    assert value == {
        "dtype": "<f8",
        "shape": [2],
        "base64": base64.b64encode(np.array([1.0, -2.0], dtype="<f8").tobytes()).decode(),
    }
    assert value["base64"] == "AAAAAAAA8D8AAAAAAAAAwA=="  # 1.0 = 0x3FF0..., -2.0 = 0xC000...
    assert encoded(np.array([[1, 2, 3]], dtype=np.int32)) == {
        "dtype": "<i8",
        "shape": [1, 3],
        "base64": base64.b64encode(np.array([1, 2, 3], dtype="<i8").tobytes()).decode(),
    }


@pytest.mark.parametrize(
    "array",
    [
        np.array([0.1, -0.0, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, 1 / 3]),
        np.random.default_rng(0).standard_normal((7, 5)),
        np.array([-(2**63), 2**63 - 1, 0, -1], dtype=np.int64),
        np.arange(12, dtype=np.int64).reshape(3, 4)[:, ::2],  # not contiguous
        np.zeros((0, 3)),
        np.array(2.5),  # 0-d
    ],
)
def test_round_trip_keeps_every_bit(array: np.ndarray) -> None:
    again = decode_array(encoded(array), "a")
    assert again.shape == array.shape and again.dtype.kind == array.dtype.kind
    assert again.tobytes() == np.ascontiguousarray(array).tobytes()
    assert again.flags.writeable and again.flags.c_contiguous


def test_large_arrays_go_piece_by_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_arrays, "PIECE_BYTES", 24)  # three numbers a piece
    array = np.random.default_rng(1).standard_normal(100)
    pieces = list(array_chunks(array))
    assert len(pieces) == 2 + 34  # the head, 34 pieces of up to 3 numbers, the tail
    value = json.loads("".join(pieces))
    assert value["base64"] == base64.b64encode(array.tobytes()).decode()
    assert decode_array(value, "a").tobytes() == array.tobytes()
    # Padding in the middle of the text is refused even where a piece ends.
    text = value["base64"]
    broken = text[:28] + text[28:30] + "==" + text[32:]  # a piece of 32 characters, padded
    with pytest.raises(ValueError, match=r"a\.base64: not base64 text"):
        decode_array(dict(value, base64=broken), "a")


def test_encoded_length() -> None:
    for nbytes in range(0, 30):
        assert encoded_length(nbytes) == len(base64.b64encode(bytes(nbytes)))


def test_what_is_meant_as_an_array() -> None:
    assert is_encoded_array({"dtype": "<f8"}) and is_encoded_array({"base64": ""})
    assert not is_encoded_array({"d": 1}) and not is_encoded_array([1.0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dtype": "<f4"}, r'w\.dtype: expected "<f8" or "<i8", got \'<f4\''),
        ({"dtype": ">f8"}, r"w\.dtype"),
        ({"dtype": 8}, r"w\.dtype"),
        ({"shape": 3}, r"w\.shape: expected a list of at most 8 whole numbers"),
        ({"shape": [1] * 9}, r"w\.shape: expected a list of at most 8"),
        ({"shape": [-1]}, r"w\.shape\[0\]: expected a whole number of 0 or more"),
        ({"shape": [True]}, r"w\.shape\[0\]"),
        ({"shape": [1.0]}, r"w\.shape\[0\]"),
        (
            {"shape": [3]},
            r"w\.base64: has 12 characters, but the shape \[3\] of 3 numbers needs 32",
        ),
        ({"base64": None}, r"w\.base64: expected text"),
        ({"base64": "AAAA8D8="}, r"w\.base64: has 8 characters, but the shape \[1\]"),
        ({"base64": "AAAAAAAA8D8*"}, r"w\.base64: not base64 text"),
        ({"base64": "AAAA AAAA8D="}, r"w\.base64: not base64 text"),
        ({"base64": "AAAAAAAA8D\u00e9="}, r"w\.base64: not base64 text"),
        ({"base64": "AAAAAAAA8D=="}, r"w\.base64: not base64 text"),
        ({"extra": 1}, r"w\.extra: unexpected field in an encoded array"),
    ],
)
def test_refusals_name_the_field(change: dict, message: str) -> None:
    value = {"dtype": "<f8", "shape": [1], "base64": "AAAAAAAA8D8="}
    value.update(change)
    with pytest.raises(ValueError, match=message):
        decode_array(value, "w")


def test_missing_fields_and_other_values() -> None:
    for key in ("dtype", "shape", "base64"):
        value = {"dtype": "<f8", "shape": [1], "base64": "AAAAAAAA8D8="}
        del value[key]
        with pytest.raises(ValueError, match=rf"w\.{key}: missing"):
            decode_array(value, "w")
    with pytest.raises(ValueError, match=r"w: expected an encoded array"):
        decode_array([1.0], "w")


def test_a_huge_declared_shape_is_refused_from_the_lengths() -> None:
    # 2**62 numbers: np.empty would fail; the lengths disagree long before.
    value = {"dtype": "<i8", "shape": [2**31, 2**31], "base64": "AAAAAAAAAAA="}
    with pytest.raises(
        ValueError, match=r"of 4,611,686,018,427,387,904 numbers needs 49,191,317,529,892,137,644$"
    ):
        decode_array(value, "w")


def test_other_arrays_are_not_written() -> None:
    with pytest.raises(TypeError, match="numbers only"):
        list(array_chunks(np.array(["a"])))
    with pytest.raises(TypeError, match="numbers only"):
        list(array_chunks(np.array([True])))
    with pytest.raises(ValueError, match=r"2\*\*63 or more"):
        list(array_chunks(np.array([2**63], dtype=np.uint64)))
    assert encoded(np.array([2**63 - 1], dtype=np.uint64))["dtype"] == "<i8"
