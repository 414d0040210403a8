"""Read a YAML file into plain data plus the line of every key and item, for one-line error reports.

Two deliberate departures from PyYAML's default (YAML 1.1) typing, both of which bite Azure configs:
- `04:00:00` is a string, not the sexagesimal integer 14400 (schedule times are written like that);
- only `true`/`false` are booleans, so `no` or `on` stay strings (the "Norway problem").
A key written twice in one mapping is an error instead of the last one silently winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mdpool.problems import InputError, Problem, nearest_line

Loc = tuple[str | int, ...]


class _CoreLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars (no sexagesimals, no yes/no booleans)."""


_CoreLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    _CoreLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


@dataclass
class YamlDocument:
    """The parsed data and where each part of it stands in the file."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest ancestor that the file spells out."""
        return nearest_line(self.lines, loc)

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(str(self.path), self.line_of(loc), dotted(loc), message)


def dotted(loc: Loc) -> str:
    """('pool', 'images', 2, 'buffer') -> 'pool.images[2].buffer'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", str(part)):
            text += f'["{part}"]'  # keys such as schedule times: days.monday["04:00:00"]
        else:
            text += f".{part}" if text else str(part)
    return text


def load_yaml(path: Path) -> YamlDocument:
    """Parse `path`; raise InputError (one Problem per fault) if it cannot be read or parsed."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(shown, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError([Problem(shown, None, "", f"cannot read the file: {error}")]) from None
    try:
        node = yaml.compose(text, Loader=_CoreLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark else None
        raise InputError([Problem(shown, line, "", f"not valid YAML: {error.problem}")]) from None
    doc = YamlDocument(path, None)
    problems: list[Problem] = []
    scalars = _CoreLoader("")  # one constructor for every scalar of this file
    try:
        doc.data = _build(node, (), doc, problems, scalars) if node is not None else {}
    finally:
        scalars.dispose()
    if problems:
        raise InputError(problems)
    return doc


def _build(node: yaml.Node, loc: Loc, doc: YamlDocument, problems: list[Problem], scalars: _CoreLoader) -> Any:
    doc.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, scalars)
            child = (*loc, key)
            if key in result:
                first = doc.lines.get(child)
                problems.append(
                    Problem(str(doc.path), key_node.start_mark.line + 1, dotted(child),
                            f"key written twice (first on line {first}); write each key once")
                )
                continue
            doc.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(value_node, child, doc, problems, scalars)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, index), doc, problems, scalars) for index, item in enumerate(node.value)]
    return _scalar(node, scalars)


def _scalar(node: yaml.Node, scalars: _CoreLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        # A mapping or list used as a key: keep it printable; the schema will refuse it.
        return repr(node.value)
    return scalars.construct_object(node, deep=True)
