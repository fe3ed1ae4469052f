"""JsonStream: an object's members and a list's items one at a time, with json's errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bp_studio.io.json_stream import JsonStream


def walk(stream: JsonStream) -> Any:
    """Rebuild the next value through members() and items() (values at the leaves)."""
    first = stream.peek()
    if first == "{":
        return {key: walk(stream) for key in stream.members()}
    if first == "[":
        return [walk(stream) for _ in stream.items()]
    return stream.value()


def test_members_and_items_in_order() -> None:
    text = ' \n{"a": 1, "b" :[ {"x": [true, null]} , 2.5 ,"s"], "c": {} ,"d":[]}\t'
    stream = JsonStream(text)
    seen = []
    for key in stream.members():
        seen.append(key)
        if key == "b":
            assert list(stream.items()) == [0, 1, 2]  # items left unread are skipped
        elif key == "c":
            assert stream.value() == {}
        # "a" and "d" are not read: skipped
    stream.end()
    assert seen == ["a", "b", "c", "d"]
    again = JsonStream(text)
    assert walk(again) == json.loads(text)
    again.end()


def test_duplicate_names_are_given_as_they_come() -> None:
    stream = JsonStream('{"a": 1, "a": 2}')
    assert [(key, stream.value()) for key in stream.members()] == [("a", 1), ("a", 2)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "Expecting property name enclosed in double quotes"),
        ('{"a" 1}', "Expecting ':' delimiter"),
        ('{"a": 1 "b": 2}', "Expecting ',' delimiter"),
        ('{"a": 1,}', "Expecting property name"),
        ('{"a": }', "Expecting value"),
        ('{"a": [1 2]}', "Expecting ',' delimiter"),
        ('{"a": [1,]}', "Expecting value"),
        ('{"a": [1, 2', "Expecting ',' delimiter"),
        ('{"a": 1} x', "Extra data"),
        ('{"a": tru}', "Expecting value"),
        ("{'a': 1}", "Expecting property name"),
    ],
)
def test_syntax_errors_are_json_errors(text: str, message: str) -> None:
    stream = JsonStream(text)
    with pytest.raises(json.JSONDecodeError, match=message):
        walk(stream)
        stream.end()


def test_members_need_an_object() -> None:
    for text in ("", "[1]", "1"):
        with pytest.raises(json.JSONDecodeError, match="Expecting '{'"):
            list(JsonStream(text).members())
    with pytest.raises(json.JSONDecodeError, match="Expecting '\\['"):
        list(JsonStream("{}").items())


def test_constants_go_to_parse_constant() -> None:
    def refuse(word: str) -> float:
        raise ValueError(f"no {word}")

    stream = JsonStream('{"a": [1, NaN]}', parse_constant=refuse)
    with pytest.raises(ValueError, match="no NaN"):
        walk(stream)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2]), st.sampled_from([(",", ":"), (", ", ": ")]))
def test_the_stream_reads_what_json_loads_reads(value: Any, indent, separators) -> None:
    text = json.dumps({"v": value, "w": [value, value]}, indent=indent, separators=separators)
    stream = JsonStream(text)
    assert walk(stream) == json.loads(text)
    stream.end()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[],:" \n01a.tnulrefs', max_size=30))
def test_the_stream_accepts_exactly_what_json_accepts(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        expected = ValueError
    stream = JsonStream(text)
    try:
        got = walk(stream)
        stream.end()
    except ValueError:
        got = ValueError
    if isinstance(expected, dict) or expected is ValueError:
        assert got == expected, text
