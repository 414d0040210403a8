"""Read JSON and remember the line of every key and list item, so problems can name their line.

The standard `json` module parses but forgets positions, and silently lets a key written twice
win. This reader walks the text with the standard library's own string and number scanners and
records, for each location (`("Customizers", 2, "Inline", 0)`), the line it starts on. It runs
after `json.loads` has accepted the text, so it only has to handle valid JSON.

Definitions may come from an untrusted branch (the pull-request pipeline validates them), so the
reader bounds what it does: no NaN/Infinity, no nesting beyond MAX_DEPTH, no huge integer literals.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # CPython's, not in typeshed
from typing import Any

from mdpool.problems import nearest_line

Loc = tuple[str | int, ...]

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # a whole string (skipped), or a bracket
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class JsonDocument:
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicates: list[tuple[Loc, int]] = field(default_factory=list)
    """Keys written more than once in one object: (location, line of the repeat)."""

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of the nearest enclosing location the text spells out."""
        return nearest_line(self.lines, loc)


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


MAX_DEPTH = 64
"""Deepest nesting read: a definition is four levels deep; far deeper is a mistake or an attack."""


def load_json(text: str) -> JsonDocument:
    """Parse `text`; raise JsonSyntaxError (with the line) if it is not JSON or not a sane one.

    Refused besides syntax errors: NaN and Infinity (Python's extensions, not JSON), numbers too
    long for Python to convert, and nesting deeper than MAX_DEPTH (checked before parsing, so no
    parser recursion can run out of stack).
    """
    _check_depth(text)
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise JsonSyntaxError(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    except ValueError as error:  # e.g. an integer literal beyond Python's 4300-digit conversion limit
        raise JsonSyntaxError(f"not valid JSON: {str(error).split(':')[0]}", 1) from None
    doc = JsonDocument(data=data)
    _Walker(text, doc).walk()
    return doc


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", "", 0)


def _check_depth(text: str) -> None:
    """Raise JsonSyntaxError if brackets outside strings nest deeper than MAX_DEPTH."""
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise JsonSyntaxError(f"nested deeper than {MAX_DEPTH} levels; an image definition needs a few", line)
        elif token in "]}":
            depth -= 1


class _Walker:
    def __init__(self, text: str, doc: JsonDocument) -> None:
        self.text = text
        self.doc = doc
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def walk(self) -> None:
        start = self.skip(0)
        self.doc.lines[()] = self.line(start)
        self.value(start, ())

    def value(self, pos: int, loc: Loc) -> int:
        char = self.text[pos]
        if char == "{":
            return self.obj(pos + 1, loc)
        if char == "[":
            return self.array(pos + 1, loc)
        if char == '"':
            return self.string(pos)[1]
        for literal in ("true", "false", "null", "NaN", "Infinity", "-Infinity"):
            if self.text.startswith(literal, pos):
                return pos + len(literal)
        match = _NUMBER.match(self.text, pos)
        assert match, "json.loads accepted text this walker cannot read"
        return match.end()

    def string(self, pos: int) -> tuple[str, int]:
        """The string starting at `pos` (its quote) and the position after it; half a surrogate pair
        (`"\\ud800"` alone: json.loads joins a whole pair) is no character and cannot be written as
        UTF-8 (lint, the build's JSON), so it is refused here at its line."""
        text, end = scanstring(self.text, pos + 1)
        if _SURROGATE.search(text):
            shown = text.encode("unicode_escape").decode("ascii")
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise JsonSyntaxError(
                f"{shown} holds half of a surrogate pair (\\ud800 to \\udfff) on its own, which is not a character; "
                "allowed: characters, written as they are or escaped (\\u00e9, \\ud83d\\ude80)",
                self.line(pos),
            )
        return text, end

    def obj(self, pos: int, loc: Loc) -> int:
        seen: set[str] = set()
        pos = self.skip(pos)
        if self.text[pos] == "}":
            return pos + 1
        while True:
            pos = self.skip(pos)
            key, pos_after = self.string(pos)
            child = (*loc, key)
            if key in seen:
                self.doc.duplicates.append((child, self.line(pos)))
            else:
                self.doc.lines[child] = self.line(pos)
            seen.add(key)
            pos = self.skip(pos_after)  # at ':'
            pos = self.skip(pos + 1)
            pos = self.skip(self.value(pos, child))
            if self.text[pos] == "}":
                return pos + 1
            pos += 1  # ','

    def array(self, pos: int, loc: Loc) -> int:
        pos = self.skip(pos)
        if self.text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            pos = self.skip(pos)
            child = (*loc, index)
            self.doc.lines[child] = self.line(pos)
            pos = self.skip(self.value(pos, child))
            if self.text[pos] == "]":
                return pos + 1
            pos += 1
            index += 1
