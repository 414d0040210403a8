"""Read a YAML file into plain data plus the line of every key and item, for one-line error reports.

Scalars follow the YAML 1.2 core schema (the `yamlcore` package, by PyYAML's maintainer), which
fixes what YAML 1.1 gets wrong for Azure configs:
- `04:00:00` is a string, not the sexagesimal integer 14400 (schedule times are written like that);
- only `true`/`false` are booleans, so `no` or `on` stay strings (the "Norway problem");
- `010` is ten and `08` is eight (no octal by a leading zero).

The file is input from whoever wrote it (in CI, perhaps a pull request), so reading it is bounded:
explicit tags are refused (a config has no use for them), aliases may not refer to themselves and
expand to a bounded number of nodes (an "alias bomb" answers at once), nesting depth, file size and
the size of every integer are capped, and `<<` merge keys are refused with a message that says so.
A key written twice in one mapping is an error instead of the last one silently winning.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
import yamlcore  # type: ignore[import-untyped]

from mdpool.files import FileRefused, read_bounded
from mdpool.problems import InputError, Problem, nearest_line

Loc = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024
"""A config or definition file is a few kilobytes; a megabyte is plenty."""
MAX_DEPTH = 64
"""Deeper than any setting mdpool reads (the deepest is about six levels)."""
MAX_NODES = 100_000
"""Keys, items and values after expanding aliases: far above any real config, far below a bomb."""
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
"""Every integer Azure's APIs take for these settings is an int32 (the REST specs' `format: int32`)."""
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refusal(yaml.composer.ComposerError):
    """Composing stops at a construct mdpool refuses (the message says which), not at a syntax error."""


class _Loader(yamlcore.CoreLoader):
    """The core-schema loader, refusing explicit tags and nesting beyond MAX_DEPTH while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _Refusal(
                None,
                None,
                f"explicit tags such as {_printable(tag, 60)!r} are not allowed; write the plain value",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refusal(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


@dataclass
class YamlDocument:
    """The parsed data and where each part of it stands in the file."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest ancestor that the file spells out."""
        return nearest_line(self.lines, loc)

    def problem(self, loc: Loc, message: str, severity: str = "error") -> Problem:
        return Problem(str(self.path), self.line_of(loc), dotted(loc), message, severity)  # type: ignore[arg-type]


def dotted(loc: Loc) -> str:
    """('pool', 'images', 2, 'buffer') -> 'pool.images[2].buffer'."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]{0,79}", str(part)):
            text += f'["{_printable(str(part))}"]'  # keys such as schedule times: days.monday["04:00:00"]
        else:
            text += f".{part}" if text else str(part)
    return text


def _printable(text: str, limit: int = 80) -> str:
    """Keep a problem on one line whatever a key holds (newlines, quotes, control characters).

    Only what would break the line or not show is escaped: a backslash PyYAML already wrote (its
    messages say `'\\t'`) and letters such as `é` stay as they are."""
    shown = "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode("ascii") for char in text
    ).replace('"', '\\"')
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def decode_utf8(raw: bytes, shown: str) -> str:
    """The file's text; a file that is not UTF-8 is one problem at the line of its first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        hint = " (it starts with a UTF-16 byte order mark)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise InputError(
            [Problem(shown, line, "", f"byte {raw[error.start]:#04x} is not UTF-8 text{hint}; allowed: a file saved as UTF-8")]
        ) from None


def _what(error: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem with its context (e.g. `while scanning a quoted scalar` and that line): the
    problem alone can be as bare as `second occurrence`."""
    problem = str(error.problem)
    if not error.context:
        return problem
    mark = error.context_mark
    where = f" on line {mark.line + 1}" if mark is not None else ""
    return f"{problem} ({error.context}{where})"


class _Limits:
    """What one file may still spend: nodes built (aliases count each time they are expanded)."""

    def __init__(self) -> None:
        self.nodes = 0


class _Refused(Exception):
    """Reading stops: the file is hostile or broken beyond reporting each fault."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def load_yaml(path: Path) -> YamlDocument:
    """Parse `path`; raise InputError (one Problem per fault) if it cannot be read or parsed."""
    shown = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES and path.is_file():
            raise InputError([Problem(shown, None, "", f"file has {size} bytes; allowed: at most {MAX_FILE_BYTES}")])
        raw = read_bounded(path, MAX_FILE_BYTES)  # a regular file only (a FIFO would block), bounded
    except FileNotFoundError:
        raise InputError([Problem(shown, None, "", "file not found")]) from None
    except FileRefused as refused:
        if path.is_dir():
            raise InputError([Problem(shown, None, "", "is a folder, not a file; give the path of a YAML file")]) from None
        raise InputError([Problem(shown, None, "", f"{refused}; give the path of a YAML file")]) from None
    except OSError as error:
        raise InputError([Problem(shown, None, "", f"cannot read the file: {error.strerror or error}")]) from None
    text = decode_utf8(raw, shown)
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        raise InputError(
            [
                Problem(
                    shown,
                    line,
                    "",
                    f"not valid YAML: character {error.character:#x} is not "
                    "allowed (control characters only as escapes in quotes)",
                )
            ]
        ) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            at = mark.line + 1 if mark else None
            prefix = "" if isinstance(error, _Refusal) else "not valid YAML: "
            raise InputError([Problem(shown, at, "", f"{prefix}{_printable(_what(error), 300)}")]) from None
        except yaml.YAMLError as error:  # e.g. a reader error without a mark
            raise InputError([Problem(shown, None, "", f"not valid YAML: {_printable(str(error), 300)}")]) from None
        doc = YamlDocument(path, None)
        problems: list[Problem] = []
        try:
            doc.data = _build(node, (), doc, problems, loader, _Limits(), ()) if node is not None else {}
        except _Refused as refused:
            raise InputError([Problem(shown, refused.line, "", refused.message)]) from None
        except yaml.YAMLError as error:  # a value no constructor takes: never a traceback
            mark = getattr(error, "problem_mark", None)
            raise InputError(
                [
                    Problem(
                        shown,
                        mark.line + 1 if mark else None,
                        "",
                        f"not valid YAML: {_printable(str(getattr(error, 'problem', error)), 300)}",
                    )
                ]
            ) from None
    finally:
        loader.dispose()
    if problems:
        raise InputError(problems)
    return doc


def _build(
    node: yaml.Node, loc: Loc, doc: YamlDocument, problems: list[Problem], loader: _Loader, limits: _Limits, path: tuple[int, ...]
) -> Any:
    line = node.start_mark.line + 1
    limits.nodes += 1
    if limits.nodes > MAX_NODES:
        raise _Refused(
            line,
            f"more than {MAX_NODES} values after expanding aliases (&anchor/*alias); write the settings out or use fewer aliases",
        )
    if id(node) in path:
        raise _Refused(line, "an alias refers to the node that contains it (a recursive alias); remove it")
    if len(path) >= MAX_DEPTH:
        raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep")
    inner = (*path, id(node))
    doc.lines.setdefault(loc, line)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and key_node.style is None:
                problems.append(
                    Problem(
                        str(doc.path),
                        key_line,
                        dotted(loc) or "<<",
                        "merge keys (<<) are not supported; write the settings out in full",
                    )
                )
                continue
            key = _key(key_node, loader, doc, problems, (*loc, "?"))
            child = (*loc, key)
            if key in result:
                first = doc.lines.get(child)
                problems.append(
                    Problem(
                        str(doc.path), key_line, dotted(child), f"key written twice (first on line {first}); write each key once"
                    )
                )
                continue
            doc.lines[child] = key_line
            result[key] = _build(value_node, child, doc, problems, loader, limits, inner)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, index), doc, problems, loader, limits, inner) for index, item in enumerate(node.value)]
    return _scalar(node, loader, doc, problems, loc)


def _key(node: yaml.Node, loader: _Loader, doc: YamlDocument, problems: list[Problem], loc: Loc) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        # A mapping or list used as a key: keep it printable and hashable; the schema will refuse it.
        return f"<{node.id} at line {node.start_mark.line + 1}>"
    value = _scalar(node, loader, doc, problems, loc)
    return value if _hashable(value) else repr(value)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return not (isinstance(value, float) and math.isnan(value))  # NaN is never found again as a key


def _scalar(node: yaml.ScalarNode, loader: _Loader, doc: YamlDocument, problems: list[Problem], loc: Loc) -> Any:
    text = node.value
    shown = f"{text[:20]}{'...' if len(text) > 20 else ''}"

    def refuse(message: str) -> None:
        """One problem at this scalar's line; the caller then reads the value as None (or as it says)."""
        problems.append(Problem(str(doc.path), node.start_mark.line + 1, dotted(loc), message))

    if node.tag == _INT_TAG:
        digits = text.lstrip("+-")
        if len(digits) > 12:  # bounded before int() parses it: a 10**6-digit number must not cost time
            refuse(f"number {shown} is too large; allowed: {INT_MIN} to {INT_MAX}")
            return None
        value = loader.construct_object(node, deep=True)
        if not INT_MIN <= value <= INT_MAX:
            refuse(f"number {value} is too large; allowed: {INT_MIN} to {INT_MAX}")
            return None
        return value
    if node.tag == _FLOAT_TAG:
        value = loader.construct_object(node, deep=True) if len(text) <= 64 else math.inf
        if not math.isfinite(value):  # 1e999 is infinity in Python: refuse it, and .inf/.nan, here
            refuse(f"number {shown} is not a finite number; allowed: a plain number")
            return None
        return value
    value = loader.construct_object(node, deep=True)
    if isinstance(value, str) and _SURROGATE.search(value):
        # PyYAML keeps "\ud83d\ude80" as two halves: a pair is joined into its character (as JSON
        # reads it); a half on its own is no character, and UTF-8 (the JSON mdpool writes) has none
        try:
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            pass
        refuse(
            f"{_printable(value, 40)!s} holds half of a surrogate pair (\\ud800 to \\udfff) on its own, which is "
            "not a character; allowed: characters, written as they are or escaped (\\u00e9, \\U0001F680)"
        )
        return _SURROGATE.sub("\ufffd", value)  # reading goes on; the problem above stops the command
    return value
