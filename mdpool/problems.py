"""One problem with the user's input, and the error that carries a list of them.

Every check in mdpool (configuration, image definitions, lint) reports through these two types so
the CLI can print every problem at once, one line each, in the contract's form:
``FILE:LINE: dotted.field.path: what is wrong; what is allowed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InputError(Exception):
    """The user's input is wrong; ``problems`` says where and how, one entry per problem."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def nearest_line(lines: Mapping[tuple, int], loc: tuple) -> int | None:
    """The line of `loc` in its source file, or of its nearest ancestor the file spells out."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())
