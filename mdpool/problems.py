"""One problem with the user's input, and the error that carries a list of them.

Every check in mdpool (configuration, image definitions, lint) reports through these two types so
the CLI can print every problem at once, one line each, in the contract's form:
``FILE:LINE: dotted.field.path: what is wrong; what is allowed``.

A problem is an error (the default: exit 1) or a warning (printed, exit 0). A warning marks a rule
mdpool checks beyond what a source shows Azure refuses: it says so, but never stops the user.
Its line reads ``FILE:LINE: path: warning: ...``; an error's line is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str
    severity: Severity = field(default="error")

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        message = f"warning: {self.message}" if self.is_warning else self.message
        return f"{where}: {self.path}: {message}" if self.path else f"{where}: {message}"


def _ordered(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.path, p.message))


def split_warnings(problems: Iterable[Problem]) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings), each in file/line order."""
    problems = list(problems)
    return (_ordered(p for p in problems if not p.is_warning), _ordered(p for p in problems if p.is_warning))


class InputError(Exception):
    """The user's input is wrong; ``problems`` says where and how, one entry per problem.

    ``problems`` holds the errors only (what stops the command); ``warnings`` the warnings found in
    the same pass, so a caller that prints the errors can print the warnings beside them.
    """

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        errors, found = split_warnings(problems)
        self.problems = errors
        self.warnings = _ordered([*found, *warnings])
        super().__init__("\n".join(str(p) for p in self.problems))


def nearest_line(lines: Mapping[tuple, int], loc: tuple) -> int | None:
    """The line of `loc` in its source file, or of its nearest ancestor the file spells out."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())
