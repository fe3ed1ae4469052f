"""Reading a JSON text one member or item at a time, so a long list is never whole in memory.

``json.loads`` builds the whole document before anything can look at it: for a session with
a hundred thousand rewind snapshots that is a hundred thousand dicts alive at once, several
times the file's size. ``JsonStream`` walks the outer levels itself (an object's members, a
list's items) and hands each value to ``json``'s own decoder (``raw_decode``), so the caller
can turn one snapshot into its compact form and drop it before reading the next::

    stream = JsonStream(text)
    for key in stream.members():          # the top-level object
        if key == "items":
            for _ in stream.items():      # a list, item by item
                use(stream.value())
        else:
            fields[key] = stream.value()  # a member not read is skipped
    stream.end()

The grammar is JSON's (RFC 8259 whitespace, ``,`` and ``:``); syntax errors raise
``json.JSONDecodeError`` with the position, as ``json.loads`` does. Duplicate names are the
caller's to refuse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["JsonStream"]

_SPACE = re.compile(r"[ \t\n\r]*")
_Scanner = Callable[[str, int], tuple[Any, int]]
"""``scan(text, pos) -> (value, end)`` (``StopIteration(pos)`` where no value starts)."""


class JsonStream:
    """A cursor over ``text``; see the module docstring.

    ``parse_constant`` is given to the decoder (``NaN``, ``Infinity``, ``-Infinity``).
    """

    def __init__(self, text: str, parse_constant: Callable[[str], Any] | None = None) -> None:
        self.text = text
        self.pos = 0
        decoder = json.JSONDecoder(parse_constant=parse_constant)
        # JSONDecoder.__init__ sets scan_once (json/decoder.py); typeshed's JSONDecoder leaves
        # it out, and types json.scanner.make_scanner as taking only its own kind.
        self._scan: _Scanner = decoder.scan_once  # type: ignore[attr-defined]

    def peek(self) -> str:
        """The next character that is not whitespace (``""`` at the end)."""
        space = _SPACE.match(self.text, self.pos)
        assert space is not None, "[ \t\n\r]* matches the empty text too"
        self.pos = space.end()
        return self.text[self.pos : self.pos + 1]

    def value(self) -> Any:
        """The next JSON value, decoded whole."""
        self.peek()
        try:
            value, self.pos = self._scan(self.text, self.pos)
        except StopIteration as stop:
            raise self._error("Expecting value", stop.value) from None
        return value

    def members(self) -> Iterator[str]:
        """The names of the next object's members, in order.

        After each name the stream stands at its value: read it (``value``, ``members``,
        ``items``), or leave it and it is skipped (decoded and dropped).
        """
        self._expect("{", "Expecting '{'")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise self._error("Expecting property name enclosed in double quotes")
            name = self.value()
            self._expect(":", "Expecting ':' delimiter")
            self.peek()
            start = self.pos
            yield name
            if self.pos == start:
                self.value()
            following = self.peek()
            self.pos += 1
            if following == "}":
                return
            if following != ",":
                self.pos -= 1
                raise self._error("Expecting ',' delimiter")

    def items(self) -> Iterator[int]:
        """The indices of the next list's items, in order; after each the stream stands at
        that item (read it, or leave it to be skipped)."""
        self._expect("[", "Expecting '['")
        if self.peek() == "]":
            self.pos += 1
            return
        index = 0
        while True:
            self.peek()
            start = self.pos
            yield index
            if self.pos == start:
                self.value()
            following = self.peek()
            self.pos += 1
            if following == "]":
                return
            if following != ",":
                self.pos -= 1
                raise self._error("Expecting ',' delimiter")
            index += 1

    def end(self) -> None:
        """Check that only whitespace is left."""
        if self.peek():
            raise self._error("Extra data")

    def _expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise self._error(message)
        self.pos += 1

    def _error(self, message: str, pos: int | None = None) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, self.text, self.pos if pos is None else pos)
