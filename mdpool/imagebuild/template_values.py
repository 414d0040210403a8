"""Variables are values: what a template expression writes can never change the JSON document's structure.

A `*.json.j2` definition writes `"Name": "{{ BaseName }}"`. Pasted as they are, a value holding
`"`, `]` or `}` ended the string and added keys or whole customizers (`curl ... | sudo bash`) that
`validate`, `images lint` and the review never saw. Two guards, in the render itself:

1. **Escaping.** Every expression's text is JSON-escaped without the outer quotes (the template
   writes those), so `a"b\\c` arrives as `a"b\\c` inside the same string. Numbers (`{{ Size | int }}`)
   are written as they are: they cannot hold structure. Template text (macros, `{% set %}` blocks,
   `caller()`) is jinja2 `Markup` and kept; jinja2's autoescape is on for that distinction only,
   with this module's JSON escaping in place of HTML escaping wherever a value meets template text
   (`~`, `%`, `+`, filters and methods of template text).
2. **Placement.** Each escaped text is written between two markers that hold a random nonce; after
   the render, the markers must lie inside one JSON string each (`{{ X | tojson }}`, a whole JSON
   value, must lie outside strings). An expression written outside a string (`"DiskSizeGiB": {{ Size }}`)
   is refused with one line naming the variable, then the markers are removed. A value cannot
   forge a marker: it is escaped, and it cannot know the nonce.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from markupsafe import Markup

_IN_STRING, _CLOSE_IN_STRING, _WHOLE_VALUE, _CLOSE_WHOLE_VALUE = "\ue000", "\ue001", "\ue002", "\ue003"
"""Private-use characters (Unicode 0xE000-0xE003) that start each marker; a value's own are escaped."""
_PRIVATE = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\ue000\ue001\ue002\ue003"})


def json_content(text: str) -> str:
    """`text` as the inside of a JSON string: quotes, backslashes and control characters escaped."""
    return json.dumps(text, ensure_ascii=False)[1:-1].translate(_PRIVATE)


@dataclass(frozen=True)
class Markers:
    """The four markers of one render (each a private-use character and the render's nonce)."""

    nonce: str

    @classmethod
    def new(cls) -> Markers:
        # digits only: `upper`, `lower` or `title` on template text that holds a marker leave it whole
        return cls(f"{secrets.randbelow(10**16):016d}")

    @property
    def open(self) -> str:
        return _IN_STRING + self.nonce

    @property
    def close(self) -> str:
        return _CLOSE_IN_STRING + self.nonce

    @property
    def value_open(self) -> str:
        return _WHOLE_VALUE + self.nonce

    @property
    def value_close(self) -> str:
        return _CLOSE_WHOLE_VALUE + self.nonce

    def text(self, text: str) -> Markup:
        """A value's text as template output: escaped for a JSON string, between in-string markers."""
        return Markup(self.open + json_content(text) + self.close)

    def whole_value(self, value: Any) -> Markup:
        """`tojson`: a whole JSON value, between markers that must lie outside any string."""
        return Markup(self.value_open + json.dumps(value, ensure_ascii=False).translate(_PRIVATE) + self.value_close)

    def count(self, chunk: str) -> int:
        """How many characters of `chunk` are markers (the output bound counts the text without them)."""
        if not any(c in chunk for c in (_IN_STRING, _CLOSE_IN_STRING, _WHOLE_VALUE, _CLOSE_WHOLE_VALUE)):
            return 0
        size = len(self.open)
        return size * sum(chunk.count(m) for m in (self.open, self.close, self.value_open, self.value_close))


def value_type(markers: Markers) -> type[str]:
    """The type of the variables a template sees: a str whose `__html__` (how jinja2 escapes it next to
    template text) is its marked JSON escaping; comparisons, filters and tests see the plain text."""

    class Value(str):
        __slots__ = ()

        def __html__(self) -> Markup:
            return markers.text(str(self))

    return Value


def as_output(markers: Markers, value: Any) -> Any:
    """jinja2's `finalize`: what an expression writes. Template text as it is, numbers as they are, any other text escaped."""
    from jinja2 import Undefined

    if isinstance(value, Undefined):
        return str(value)  # StrictUndefined: the error at the template's line
    if isinstance(value, Markup):
        return value
    if isinstance(value, (int, float)):  # bool is an int; none of them can hold a quote
        return str(value)
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    return markers.text(str(value))


def as_markup(markers: Markers, value: Any) -> Any:
    """A value about to meet template text (`Markup`): text becomes marked JSON escaping, the rest stays."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return markers.text(value)
    return value


def concat(markers: Markers, values: tuple) -> str:
    """`~`: plain joining, unless template text is involved; then every other text is escaped (never HTML escaping)."""
    from jinja2.utils import concat as join

    texts = [v if isinstance(v, Markup) else str(v) for v in values]  # a variable is text here, not template text
    if any(isinstance(t, Markup) for t in texts):
        return Markup("").join(t if isinstance(t, Markup) else markers.text(t) for t in texts)
    return join(texts)


def value_filters(markers: Markers, filters: dict[str, Callable]) -> None:
    """jinja2's filters that write text arguments into template text, escaping them as values first.

    jinja2 HTML-escapes a text it joins to `Markup`, which leaves a backslash that would escape the
    template's closing quote. `replace` searches for its first argument, so that one stays as it is.
    """
    import functools

    def wrap(name: str, convert: Callable[..., tuple[tuple, dict]]) -> None:
        original = filters[name]

        @functools.wraps(original)  # keeps jinja2's pass_eval_context / pass_environment mark
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            new_args, new_kwargs = convert(*args, **kwargs)
            return original(*new_args, **new_kwargs)

        filters[name] = wrapped

    def join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> tuple[tuple, dict]:
        items = list(value) if attribute is None else value
        if attribute is None and (isinstance(d, Markup) or any(isinstance(i, Markup) for i in items)):
            items = [as_markup(markers, i) for i in items]
            d = as_markup(markers, d)
        return (eval_ctx, items, d, attribute), {}

    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: Any = None) -> tuple[tuple, dict]:
        if isinstance(s, Markup):
            old = Markup(old) if isinstance(old, str) else old  # searched for in template text, never written
            new = as_markup(markers, new)
        return (eval_ctx, s, old, new, count), {}

    def inserts_all(value: Any, *args: Any, **kwargs: Any) -> tuple[tuple, dict]:
        if isinstance(value, Markup):
            args = tuple(as_markup(markers, a) for a in args)
            kwargs = {k: as_markup(markers, v) for k, v in kwargs.items()}
        return (value, *args), kwargs

    def env_inserts_all(environment: Any, value: Any, *args: Any, **kwargs: Any) -> tuple[tuple, dict]:
        converted, kwargs = inserts_all(value, *args, **kwargs)
        return (environment, *converted), kwargs

    wrap("join", join)
    wrap("replace", replace)
    wrap("format", inserts_all)
    wrap("indent", inserts_all)
    wrap("truncate", env_inserts_all)
    wrap("wordwrap", env_inserts_all)


def method_arguments(markers: Markers, name: str, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Arguments of a method of template text (`{{ m().replace(a, X) }}`), escaped as values where they are written."""
    if name == "replace" and args:
        first = Markup(args[0]) if isinstance(args[0], str) else args[0]  # searched for, never written
        return (first, *(as_markup(markers, a) for a in args[1:])), {k: as_markup(markers, v) for k, v in kwargs.items()}
    if name == "join" and args:
        return (tuple(as_markup(markers, a) for a in args[0]), *args[1:]), kwargs
    return tuple(as_markup(markers, a) for a in args), {k: as_markup(markers, v) for k, v in kwargs.items()}


def shell_word(value: Any) -> str:
    """`shell`: the value as one POSIX shell word, single-quoted (`'` written as `'\\''`): JSON escaping keeps a
    value inside its JSON string, this keeps it inside the command's quotes (POSIX, Shell Command Language 2.2.2)."""
    return "'" + str(value).replace("'", "'\\''") + "'"


_POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"
"""What PowerShell takes for a single quote (its tokenizer, CharTraits.cs IsSingleQuote: ' and the
typographic ‘ ’ ‚ ‛): each is doubled inside a single-quoted string (about_Quoting_Rules)."""


def powershell_word(value: Any) -> str:
    """`powershell`: the value as one single-quoted PowerShell string, every kind of single quote doubled."""
    text = "".join(c + c if c in _POWERSHELL_QUOTES else c for c in str(value))
    return "'" + text + "'"


class MisplacedValue(Exception):
    def __init__(self, content: str, offset: int, whole_value: bool) -> None:
        super().__init__(content)
        self.content = content
        self.offset = offset
        """Where the value starts in the text without markers."""
        self.whole_value = whole_value


def unmark(marked: str, markers: Markers) -> str:
    """The rendered text without markers; MisplacedValue when a marker shows a value outside its place.

    Checked only when the text is JSON (else parsing it reports the template's own mistake). The
    scan follows JSON's strings as the parser does: `"` opens and closes one, `\\x` is one escape.
    """
    text = marked
    for marker in (markers.open, markers.close, markers.value_open, markers.value_close):
        text = text.replace(marker, "")
    if text == marked:
        return text
    try:
        json.loads(text)  # as lenient as mdpool's own reader (jsonlines.load_json) or more: never skips what it accepts
    except (ValueError, RecursionError):  # not JSON, or too deep: the reader says so at its line
        return text
    names = [re.escape(m) for m in (markers.open, markers.close, markers.value_open, markers.value_close)]
    tokens = re.compile('"|\\\\(?=[\ue000-\ue003])|\\\\.|' + "|".join(names), re.S)
    in_string = False
    string = 0  # which string we are in, counted from the start
    opened: tuple[int, int] | None = None  # (string, offset in `marked`) of the value being read
    size = len(markers.open)

    def misplaced(start: int, whole: bool) -> MisplacedValue:
        end = marked.find(markers.value_close if whole else markers.close, start)
        content = marked[start + size : end if end >= 0 else len(marked)]
        before = marked[:start]
        offset = len(before) - size * sum(before.count(m) for m in (markers.open, markers.close, markers.value_open, markers.value_close))
        return MisplacedValue(_unescaped(content, whole), offset, whole)

    for token in tokens.finditer(marked):
        kind = token.group()
        if kind == '"':
            in_string = not in_string
            string += in_string
        elif kind == "\\":  # a backslash of the template's right before a value: the value would be an escape
            following = token.end()
            raise misplaced(following, marked.startswith(markers.value_open, following))
        elif kind.startswith("\\"):
            continue
        elif kind == markers.open:
            if not in_string:
                raise misplaced(token.start(), False)
            opened = (string, token.start())
        elif kind == markers.close:
            if opened is None or not in_string or opened[0] != string:
                raise misplaced(opened[1] if opened else token.start(), False)
            opened = None
        elif kind == markers.value_open:
            if in_string:
                raise misplaced(token.start(), True)
    return text


def _unescaped(content: str, whole: bool) -> str:
    try:
        return json.loads(content) if whole else json.loads('"' + content + '"')
    except ValueError:
        return content


def variables_named(content: str, variables: Mapping[str, str]) -> list[str]:
    """The variables whose value is `content` (or, failing that, appears in it)."""
    exact = [name for name, value in variables.items() if value == content]
    return exact or [name for name, value in variables.items() if value and value in content]
