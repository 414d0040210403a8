"""What a pull request changes in the image builds: a variable, the definition file, the rendered definition.

The inputs come from each side's manifest (mdpool.imagebuild.inputs, written by `synth`). A build
variable is a value the template writes into the definition, so a changed value is shown next to
the change it makes in the rendered definition, line by line.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

MAX_DIFF_LINES = 200
"""Longest diff of one rendered definition shown in the review; the rest is counted, not shown."""
MAX_COMPARED_LINES = 5000
"""Longest rendered definition compared line by line (difflib's matching grows with the product of
both sides' lines, and a hand-made base manifest may hold anything); a longer one by digest only."""


@dataclass(frozen=True)
class ImageInputChange:
    image: str
    what: str
    """`added`, `removed`, `variable`, `definition` (the file), `rendered`, or `problem` (does not render)."""
    name: str = ""
    """The variable's name (what == variable)."""
    old: str | None = None
    new: str | None = None
    diff: tuple[str, ...] = ()
    """Unified diff of the rendered definition (what == rendered), at most MAX_DIFF_LINES lines."""
    added: int = 0
    removed: int = 0


def _text(entry: dict, key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) else None


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def image_input_changes(base: dict | None, head: dict | None) -> tuple[ImageInputChange, ...]:
    """Every change between two records (manifests of `synth`); nothing when either side has no record."""
    if base is None or head is None:
        return ()
    changes: list[ImageInputChange] = []
    for image in sorted(set(base) | set(head)):
        was, now = _mapping(base.get(image)), _mapping(head.get(image))
        if image not in base:
            changes.append(ImageInputChange(image, "added", new=_text(now, "definition")))
            continue
        if image not in head:
            changes.append(ImageInputChange(image, "removed", old=_text(was, "definition")))
            continue
        if was.get("definition") != now.get("definition"):
            changes.append(ImageInputChange(image, "definition", old=_text(was, "definition"), new=_text(now, "definition")))
        old_vars, new_vars = _mapping(was.get("variables")), _mapping(now.get("variables"))
        for name in sorted(set(old_vars) | set(new_vars)):
            if old_vars.get(name) != new_vars.get(name):
                changes.append(ImageInputChange(image, "variable", name, _str(old_vars.get(name)), _str(new_vars.get(name))))
        if was.get("problem") != now.get("problem") and now.get("problem"):
            changes.append(ImageInputChange(image, "problem", new=_text(now, "problem")))
        if was.get("sha256") != now.get("sha256") and now.get("sha256"):
            changes.append(_rendered_change(image, was, now))
    return tuple(changes)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _rendered_change(image: str, was: dict, now: dict) -> ImageInputChange:
    old, new = _text(was, "rendered"), _text(now, "rendered")
    too_long = any(text is not None and text.count("\n") > MAX_COMPARED_LINES for text in (old, new))
    if new is None or (old is None and was.get("sha256")) or too_long:  # too large to record or compare: by digest only
        return ImageInputChange(image, "rendered", old=_text(was, "sha256"), new=_text(now, "sha256"))
    lines = list(difflib.unified_diff((old or "").splitlines(), new.splitlines(), "base", "head", lineterm="", n=2))
    added = sum(1 for line in lines[2:] if line.startswith("+"))
    removed = sum(1 for line in lines[2:] if line.startswith("-"))
    return ImageInputChange(image, "rendered", diff=tuple(lines[:MAX_DIFF_LINES]), added=added, removed=removed)
