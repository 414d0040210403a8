"""What mdpool prints is shown, never obeyed: the one filter every printed line goes through.

A value from a config, an image definition, a file name or an answer from Azure may reach a line
mdpool prints (a problem, a warning, a table, a summary, Terraform's plan). Where that line lands
something may act on it, so each such piece is made inert here:

- Azure Pipelines runs a logging command found anywhere in a line: the agent's Command.TryParse
  looks for `##vso[` with `message.IndexOf` (microsoft/azure-pipelines-agent,
  src/Microsoft.VisualStudio.Services.Agent/Command.cs); its log viewer formats lines carrying
  `##[section]`, `##[error]`, `##[group]`...
- GitHub Actions runs `::command::` at the start of a line after leading white space
  (actions/runner src/Runner.Common/ActionCommand.cs TryParseV2: `message.TrimStart()` then
  `StartsWith("::")`) and, in its older form, `##[command]` anywhere (TryParse: `IndexOf("##[")`).
- A terminal obeys control characters: ESC starts colour, cursor and OSC sequences (titles,
  hyperlinks, clipboard); a bare CR rewrites the line (and ends a line for both agents, which read
  with ReadLine); C1 controls (U+0080-U+009F) act like ESC sequences on some terminals; the bidi
  overrides (U+202A-U+202E, U+2066-U+2069) reorder what is shown.

So a control character is shown as its code (`\\x1b`, `\\u202e`), the first `#` of `##vso[` and
`##[` as `\\x23` and a line-leading `::` as `\\x3a:`: the text still says what the value was, and no
agent or terminal acts on it. Look-alikes (`#vso[`, `# [`, `a::b`) print as written. mdpool's own
annotations (mdpool.ci_annotations) are the one place that writes a live command, after this
filter has made their message inert.

Rich output never parses markup in a value: values enter tables as `cell()`s (rich Text, no
markup), so `[/bold]` or `[link=...]` in a value is printed literally.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

# Control characters a terminal or a log reader acts on (see above); \t and \n are handled by the callers.
# Lone surrogates (U+D800-U+DFFF) are the bytes of a file name that is not UTF-8 (os.fsdecode's
# surrogateescape): they cannot be encoded for the terminal at all, so they are shown as codes too.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROLS_AND_LINE_BREAKS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The `#` that starts `##vso[` or `##[` (any case: the agent's own masking of "##vso" ignores case,
# Agent.Sdk/Util/StringUtil.cs). Inserting anything between the two `#` breaks both parsers.
_HASH_COMMAND = re.compile(r"#(?=#(?:vso)?\[)", re.IGNORECASE)
# `::` at the start of a line after white space (.NET TrimStart trims Unicode white space, as str.isspace).
_LEADING_COLONS = re.compile(r"^(\s*):(?=:)")


def _code(match: re.Match[str]) -> str:
    character = match.group()
    point = ord(character)
    return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(character) or (f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}")


def _neutral_commands(line: str) -> str:
    return _LEADING_COLONS.sub(r"\1\\x3a", _HASH_COMMAND.sub(r"\\x23", line))


def shown(value: object) -> str:
    """One value (or one line) as it may be printed: every control character and line break shown
    as its code, no logging or workflow command left that an agent would run."""
    return _neutral_commands(_CONTROLS_AND_LINE_BREAKS.sub(_code, str(value)))


def shown_lines(text: object) -> str:
    """Text of several lines that mdpool composed (a Markdown summary, a plan): its line breaks and
    tabs stay; in each line control characters are shown as codes and commands are made inert."""
    return "\n".join(_neutral_commands(_CONTROLS.sub(_code, line)) for line in str(text).replace("\r\n", "\n").split("\n"))


def json_text(document: str) -> str:
    """A JSON document's text made inert for CI logs without changing what it decodes to.

    json.dumps already writes control characters as \\uXXXX; `##vso[` / `##[` can only occur inside
    a string, where `\\u0023` decodes to the same `#`."""
    return _HASH_COMMAND.sub(r"\\u0023", document)


# SGR colour sequences (ESC [ digits ; m) are what Terraform itself writes to a terminal; everything else is shown.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def shown_terminal_line(line: str) -> str:
    """A line of a child process's own coloured output (Terraform on a terminal): its SGR colours
    stay for rich's ANSI decoder, every other control character is shown as its code."""
    parts = _SGR.split(line)
    colours = _SGR.findall(line)
    out = [shown(parts[0])]
    for colour, part in zip(colours, parts[1:]):
        out += [colour, shown(part)]
    return "".join(out)


def echo(*parts: object, file: TextIO | None = None, lines: bool = False) -> None:
    """Print `parts` (joined by spaces) through the filter: as one line, or (`lines`) as mdpool's
    own multi-line text whose line breaks stay."""
    text = " ".join(str(part) for part in parts)
    print(shown_lines(text) if lines else shown(text), file=file or sys.stdout, flush=True)


def cell(value: object):
    """A value for a rich table, title or line: rich Text (no markup is parsed), controls shown."""
    from rich.text import Text

    return Text(shown(value))


def console(*, stderr: bool = False):
    """A rich Console for mdpool's output: no markup, emoji codes or highlighting is read from any
    string it prints, and every string (a line, a table cell, a title) passes `shown_lines` first.
    rich Text built elsewhere bypasses this: build it from `shown()` values (or use `cell()`)."""
    from rich.console import Console

    class ShownConsole(Console):
        def render_str(self, text: str, **options):  # every str a print or a table renders comes through here
            return super().render_str(shown_lines(text), **{**options, "markup": False, "emoji": False})

    return ShownConsole(stderr=stderr, markup=False, emoji=False, highlight=False)
