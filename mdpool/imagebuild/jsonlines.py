"""Read JSON and remember the line of every key and list item, so problems can name their line.

The standard `json` module parses but forgets positions, and silently lets a key written twice
win. This reader walks the text with the standard library's own string and number scanners and
records, for each location (`("Customizers", 2, "Inline", 0)`), the line it starts on. It runs
after `json.loads` has accepted the text, so it only has to handle valid JSON.
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


def load_json(text: str) -> JsonDocument:
    """Parse `text`; raise JsonSyntaxError (with the line) if it is not JSON."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise JsonSyntaxError(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    doc = JsonDocument(data=data)
    _Walker(text, doc).walk()
    return doc


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
            return scanstring(self.text, pos + 1)[1]
        for literal in ("true", "false", "null", "NaN", "Infinity", "-Infinity"):
            if self.text.startswith(literal, pos):
                return pos + len(literal)
        match = _NUMBER.match(self.text, pos)
        assert match, "json.loads accepted text this walker cannot read"
        return match.end()

    def obj(self, pos: int, loc: Loc) -> int:
        seen: set[str] = set()
        pos = self.skip(pos)
        if self.text[pos] == "}":
            return pos + 1
        while True:
            pos = self.skip(pos)
            key, pos_after = scanstring(self.text, pos + 1)
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
