"""`mdpool review`: the CLI edge of the review. Imports nothing heavy until it runs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from mdpool.cli_support import OUTPUT, DEFAULT_CONFIG, ConfigOption, JsonOption, emit_json, fail, say

BaseOption = Annotated[
    str,
    typer.Option("--base", help="Synthesized output folder, or a git ref (e.g. origin/main) to synthesize and compare with."),
]
OutOption = Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the Markdown here instead of stdout.")]
HeadOption = Annotated[
    Optional[Path],
    typer.Option("--head", help="Compare this synthesized output folder instead of synthesizing --config now."),
]


def write_atomically(path: Path, text: str) -> None:
    """Write the whole file or nothing: a temporary sibling replaces `path` when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _head(config: Path, head: Path | None, scratch: Path):
    from mdpool.review.synthesized import load_synthesized

    if head is not None:
        return load_synthesized(head, str(head))
    from mdpool.cli_support import load_environment_or_exit
    from mdpool.synth import synthesize

    synthesize(load_environment_or_exit(config), scratch / "head")
    return load_synthesized(scratch / "head", f"working tree ({config.as_posix()})")


def review(base: BaseOption, config: ConfigOption = DEFAULT_CONFIG, out: OutOption = None,
           head: HeadOption = None, json_output: JsonOption = False) -> None:
    """Summarize in Markdown what the working tree changes against --base: per stack, resources
    added/removed/changed, attribute changes, replacements, and the pool in plain words."""
    from mdpool.problems import InputError
    from mdpool.review.base import BaseUnavailable, open_base
    from mdpool.review.diff import diff_synthesized
    from mdpool.review.markdown import render_markdown

    try:
        # a git ref synthesizes in a child process while the head synthesizes here
        with open_base(base, config) as base_result, \
                tempfile.TemporaryDirectory(prefix="mdpool-review-head-") as scratch:
            head_side = _head(config, head, Path(scratch))
            base_side = base_result()
    except BaseUnavailable as error:
        fail(error.lines)
    except InputError as error:
        fail(error.problems)
    summary = diff_synthesized(base_side, head_side)
    text = render_markdown(summary, base_side.label, head_side.label)
    if out is not None:
        write_atomically(out, text)
    if OUTPUT.json:
        from mdpool.review.json_summary import review_document

        emit_json(review_document(summary, text, None if out is None else str(out)))
    elif out is None:
        typer.echo(text, nl=False)
    else:
        say(f"review written to {out}" + ("" if summary.has_changes else " (no changes)"))
