"""A shell script as the simple commands it runs, for `mdpool images lint`.

Lint's rules are about commands (`apt-get install` without -y, `reboot`, `read`), wherever they sit:
in `if`/`while`/`until`/`for`/`case` bodies and conditions, subshells, `{ }` groups, `&&`/`||` lists,
pipelines, function bodies, `$( )`/backtick/`<( )` substitutions and the live expansions of an
unquoted here-document. tree-sitter-bash parses the script; `commands()` walks every node and yields
each simple command with its words (quotes removed), its line, whether its standard input is a pipe,
file or here-document rather than the build's (absent) terminal, and the variables exported at that
point in that shell (a subshell's or pipeline member's `export` stays in it).

Text that only looks like a command (`echo apt-get install`, a comment, a quoted here-document) is
not a command node, so no rule sees it.

tree_sitter is imported on first use: `mdpool validate` never loads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from tree_sitter import Node, Parser


@dataclass(frozen=True)
class Command:
    """One simple command as the shell would run it."""

    words: tuple[str, ...]  # command name and arguments, quotes removed; expansions kept as written
    word_rows: tuple[int, ...]  # the script row (0-based) each word starts on
    assignments: tuple[tuple[str, str], ...]  # `VAR=value` prefixes, in order
    row: int  # the script row (0-based) the command starts on
    stdin_redirected: bool  # reads a pipe, a file or a here-document, not a terminal
    exported: Mapping[str, str]  # what this shell has exported when the command runs
    statement: str  # the source text of the whole statement (pipeline, redirections) around it
    heredoc: tuple[str, int] | None = None  # a here-document on its standard input: (text, first script row)


@dataclass(frozen=True)
class ParseError:
    row: int  # 0-based script row
    what: str


@dataclass
class ParsedScript:
    commands: list[Command]
    error: ParseError | None


@lru_cache(maxsize=1)
def _parser() -> "Parser":
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


def parse(script: str, exported: Mapping[str, str] | None = None) -> ParsedScript:
    """Every simple command of `script`, in the order the shell meets them, and its first syntax error."""
    source = script.encode("utf-8")
    tree = _parser().parse(source)
    walker = _Walker(source)
    try:
        walker.walk(tree.root_node, _Scope(dict(exported or {}), {}), stdin=False, statement="")
    except RecursionError:
        return ParsedScript(walker.commands, ParseError(0, "the script nests too deeply to lint"))
    return ParsedScript(walker.commands, _first_error(tree.root_node) if tree.root_node.has_error else None)


def _first_error(root: "Node") -> ParseError | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            return ParseError(node.start_point.row, f"missing `{node.type}`")
        if node.type == "ERROR":
            text = _text(node).strip().split("\n", 1)[0]
            return ParseError(node.start_point.row, f"unexpected `{text[:40]}`" if text else "unexpected end")
        if node.has_error:
            stack.extend(reversed(node.children))
    return ParseError(root.start_point.row, "syntax error")


@dataclass
class _Scope:
    exported: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)

    def child(self) -> "_Scope":
        """A subshell: starts with a copy, and what it exports does not come back."""
        return _Scope(dict(self.exported), dict(self.variables))


# Nodes whose commands run in a subshell (a copy of the environment). Pipeline members are handled
# in _pipeline: bash and dash both run each member of a pipeline in a subshell.
_SUBSHELLS = {"subshell", "command_substitution", "process_substitution", "function_definition"}
# Nodes that hold a sequence of statements: each direct child is one statement.
_BLOCKS = {
    "program",
    "compound_statement",
    "subshell",
    "do_group",
    "if_statement",
    "elif_clause",
    "else_clause",
    "case_item",
    "command_substitution",
    "process_substitution",
    "while_statement",
    "ERROR",
}
_WORD_NODES = {
    "word",
    "string",
    "raw_string",
    "concatenation",
    "simple_expansion",
    "expansion",
    "number",
    "ansi_c_string",
    "translated_string",
    "command_substitution",
    "process_substitution",
    "arithmetic_expansion",
    "brace_expression",
}


class _Walker:
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.commands: list[Command] = []

    def walk(self, node: "Node", scope: _Scope, *, stdin: bool, statement: str) -> None:
        kind = node.type
        if kind in ("comment", "heredoc_start", "heredoc_end", "raw_string", "word"):
            return
        if kind == "command":
            self.command(node, scope, stdin, statement)
        elif kind == "declaration_command":
            self.declaration(node, scope, statement)
        elif kind == "unset_command":
            for child in node.named_children:
                scope.exported.pop(_text(child), None)
                scope.variables.pop(_text(child), None)
        elif kind == "variable_assignment":
            self.assignment(node, scope, statement)
        elif kind == "pipeline":
            self.pipeline(node, scope, stdin, statement)
        elif kind == "redirected_statement":
            self.redirected(node, scope, stdin, statement)
        elif kind in _SUBSHELLS:
            self.children(node, scope.child(), stdin=stdin, statement=statement)
        else:
            self.children(node, scope, stdin=stdin, statement=statement)

    def children(self, node: "Node", scope: _Scope, *, stdin: bool, statement: str) -> None:
        block = node.type in _BLOCKS
        for child in node.named_children:
            self.walk(child, scope, stdin=stdin, statement=_text(child) if block else statement)

    def command(self, node: "Node", scope: _Scope, stdin: bool, statement: str, heredoc: tuple[str, int] | None = None) -> None:
        assignments: list[tuple[str, str]] = []
        words: list[str] = []
        rows: list[int] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                name, value = _assignment(child)
                assignments.append((name, value))
            elif child.type == "command_name":
                words.append(_literal(child.named_children[0]) if child.named_children else _text(child))
                rows.append(child.start_point.row)
            elif child.type in _WORD_NODES:
                words.append(_literal(child))
                rows.append(child.start_point.row)
            elif child.type in ("herestring_redirect", "heredoc_redirect") or (
                child.type == "file_redirect" and _is_input(child)
            ):
                stdin = True
            # Substitutions in words, values and redirections run before the command itself.
            self.substitutions(child, scope, statement)
        if not words:
            for name, value in assignments:
                self.set_variable(scope, name, value)
            return
        self.commands.append(
            Command(
                tuple(words),
                tuple(rows),
                tuple(assignments),
                node.start_point.row,
                stdin,
                dict(scope.exported),
                statement,
                heredoc,
            )
        )

    def substitutions(self, node: "Node", scope: _Scope, statement: str) -> None:
        """Walk the command substitutions inside a word, a string or a redirection."""
        if node.type in ("command_substitution", "process_substitution"):
            self.walk(node, scope, stdin=False, statement=statement)
            return
        for child in node.named_children:
            self.substitutions(child, scope, statement)

    def declaration(self, node: "Node", scope: _Scope, statement: str) -> None:
        keyword = node.children[0].type if node.children else ""
        flags = [_text(c) for c in node.named_children if c.type == "word" and _text(c).startswith("-")]
        exports = keyword == "export" or (keyword in ("declare", "typeset") and any("x" in f for f in flags))
        for child in node.named_children:
            self.substitutions(child, scope, statement)
            if child.type == "variable_assignment":
                name, value = _assignment(child)
                scope.variables[name] = value
                if exports:
                    scope.exported[name] = value
            elif child.type == "variable_name" and exports:
                name = _text(child)
                scope.exported[name] = scope.variables.get(name, scope.exported.get(name, ""))

    def assignment(self, node: "Node", scope: _Scope, statement: str) -> None:
        self.substitutions(node, scope, statement)
        name, value = _assignment(node)
        self.set_variable(scope, name, value)

    @staticmethod
    def set_variable(scope: _Scope, name: str, value: str) -> None:
        scope.variables[name] = value
        if name in scope.exported:
            scope.exported[name] = value  # assigning an exported variable changes what children see

    def pipeline(self, node: "Node", scope: _Scope, stdin: bool, statement: str) -> None:
        members = list(node.named_children)
        for position, member in enumerate(members):
            self.walk(member, scope.child(), stdin=stdin or position > 0, statement=statement)

    def redirected(self, node: "Node", scope: _Scope, stdin: bool, statement: str) -> None:
        body = node.child_by_field_name("body")
        redirects = [c for c in node.named_children if c is not body]
        reads_input = any(
            r.type in ("heredoc_redirect", "herestring_redirect") or (r.type == "file_redirect" and _is_input(r))
            for r in redirects
        )
        for redirect in redirects:
            self.substitutions(redirect, scope, statement)  # `cat <<EOF` with `$(cmd)` in its body runs cmd
        heredoc = None
        for redirect in redirects:
            text = next((c for c in redirect.named_children if c.type == "heredoc_body"), None)
            if redirect.type == "heredoc_redirect" and text is not None:
                heredoc = (_text(text), text.start_point.row)  # `bash <<'EOF'` runs it as a script
        if body is not None and body.type == "command":
            self.command(body, scope, stdin or reads_input, statement, heredoc)
        elif body is not None:
            self.walk(body, scope, stdin=stdin or reads_input, statement=statement)


def _is_input(redirect: "Node") -> bool:
    operators = {c.type for c in redirect.children if not c.is_named}
    return bool(operators & {"<", "<&", "<>"}) and not operators & {">", ">>", ">&", "&>", "&>>", ">|"}


def _text(node: "Node") -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _assignment(node: "Node") -> tuple[str, str]:
    name_node = node.child_by_field_name("name")
    value_node = node.child_by_field_name("value")
    name = _text(name_node) if name_node is not None else _text(node).split("=", 1)[0]
    return name, _literal(value_node) if value_node is not None else ""


_ANSI_C = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "e": "\x1b", "a": "\a", "b": "\b"}


def _literal(node: Any) -> str:
    """A word's value after quote removal; expansions stay as written (lint cannot know them)."""
    kind = node.type
    text = _text(node)
    if kind == "word":
        return re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""), flags=re.S)
    if kind == "raw_string":
        return text[1:-1]
    if kind in ("string", "translated_string"):
        inner = text[text.index('"') + 1 : -1] if '"' in text else text
        return re.sub(r'\\([$`"\\])', r"\1", inner.replace("\\\n", ""))
    if kind == "ansi_c_string":
        return re.sub(r"\\(.)", lambda m: _ANSI_C.get(m.group(1), m.group(1)), text[2:-1], flags=re.S)
    if kind == "concatenation":
        return "".join(_literal(child) for child in node.children)
    return text
