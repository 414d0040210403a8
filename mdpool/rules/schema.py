"""Schema errors (pydantic's) turned into one problem per faulty setting, in the file's own words."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from mdpool.problems import Problem
from mdpool.validate.patterns import PATTERN_TEXT
from mdpool.yamlsource import Loc, YamlDocument


def pydantic_problems(error: ValidationError, doc: YamlDocument, root: type[BaseModel]) -> list[Problem]:
    """One problem per faulty setting; union branches that pydantic reports separately are merged."""
    by_loc: dict[Loc, list[str]] = {}
    for item in error.errors(include_url=False):
        loc, parent = _clean_loc(root, item["loc"], unknown_key=item["type"] == "extra_forbidden")
        by_loc.setdefault(loc, [])
        message = _message(item, loc, parent)
        if message not in by_loc[loc]:
            by_loc[loc].append(message)
    return [doc.problem(loc, "; or ".join(messages)) for loc, messages in by_loc.items()]


def _message(item: Mapping[str, Any], loc: Loc, parent: Any) -> str:
    kind, ctx, value = item["type"], item.get("ctx", {}), item.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _field_names(parent)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key {key!r}; {hint}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required setting is missing"
    if kind == "literal_error":
        return f"{value!r} is not allowed; allowed: {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return f"{value!r} is not allowed; allowed: {PATTERN_TEXT.get(pattern, 'text matching ' + pattern)}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", item["msg"]))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{value!r} is out of range; {item['msg'].lower().replace('input should be', 'allowed: a number')}"
    if kind in ("too_short", "too_long"):
        return item["msg"].replace("List should", "the list must").replace("Value should", "must")
    typename = type(value).__name__ if value is not None else "nothing"
    return f"{item['msg'].replace('Input should be', 'must be')} (got {typename}: {value!r})"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows (Annotated, Optional and unions opened up)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _clean_loc(root: type[BaseModel], raw: tuple, unknown_key: bool) -> tuple[Loc, Any]:
    """Drop pydantic's union-branch tags from `raw`; return the clean loc and the type(s) holding its last part.

    A part that names no field, item or entry of the types reached so far is a branch tag
    (`str`, `function-after[...]`), except the last part of an unknown-key error: that is the key.
    """
    current: list[Any] = [root]
    parent: Any = root
    clean: list[str | int] = []
    for part in raw[:-1] if unknown_key else raw:
        following: list[Any] = []
        for candidate in current:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel) and part in _fields(candidate):
                following += _unwrap(_fields(candidate)[part].annotation)
            elif origin is list and isinstance(part, int):
                following += _unwrap(typing.get_args(candidate)[0])
            elif origin is dict and part != "[key]":
                following += _unwrap(typing.get_args(candidate)[1])
        if following:
            parent = current
            clean.append(part)
            current = following
    if unknown_key:
        parent = current
        clean.append(raw[-1])
    return tuple(clean), parent


def _field_names(parent: Any) -> list[str]:
    models = [c for c in (parent if isinstance(parent, list) else [parent]) if isinstance(c, type) and issubclass(c, BaseModel)]
    names: list[str] = []
    for model in models:
        names += [name for name in _fields(model) if name not in names]
    return names


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields by the key the file uses (the alias where one is given: `pool`, `pools`)."""
    return {field.alias or name: field for name, field in model.model_fields.items()}
