"""Values from a pull request's config and synthesized JSON, written into the review's Markdown as text only.

The review is posted on the pull request, so nothing in it may be interpreted: no HTML, no links or
emphasis, no code span or table row ended early by a backtick, a pipe or a line break.
"""

from __future__ import annotations

import re

# Values come from the config and synthesized JSON of a pull request, so they are shown as text,
# never interpreted: CommonMark treats a backslash before ASCII punctuation as that character
# (spec 0.31.2, "Backslash escapes"), and no raw HTML can start without an unescaped `<`.
# `|` is escaped by markdown._cell, where it matters; `_` inside a word never emphasises (CommonMark's flanking
# rules), so Standard_D2ads_v5 stays as it is written; `>` quotes only at the start of a line, never ours
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<&~!#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def text(value: object) -> str:
    """A value as plain text on one line: Markdown and HTML characters escaped, line breaks as spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).splitlines()))


def code(value: str) -> str:
    """A value as inline code, whatever backticks it holds: the fence is one longer than its longest run
    of backticks, padded when the value starts or ends with one (CommonMark, "Code spans"); line breaks
    are shown as \\n so a value can never end a table row or start a block."""
    value = value.replace("\r\n", "\n").replace("\n", "\\n").replace("\r", "\\r")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padded = value.startswith("`") or value.endswith("`") or (value[:1] == value[-1:] == " " and value.strip())
    pad = " " if padded else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def code_block(value: str, info: str = "") -> list[str]:
    """`value` as a fenced code block, whatever it holds: the fence is longer than its longest run of
    backticks (at least three), so no line of it can close the block (CommonMark, "Fenced code blocks");
    what is inside a code block is never interpreted."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *value.replace("\r\n", "\n").replace("\r", "\\r").split("\n"), fence]
