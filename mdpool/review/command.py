"""`mdpool review`: the CLI edge of the review. Imports nothing heavy until it runs."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from mdpool.cli_support import OUTPUT, DEFAULT_CONFIG, ConfigOption, JsonOption, emit_json, fail, say
from mdpool.printed import shown_lines

BaseOption = Annotated[
    str,
    typer.Option("--base", help="Synthesized output folder, or a git ref (e.g. origin/main) to synthesize and compare with."),
]
OutOption = Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the Markdown here instead of stdout.")]
OfflineOption = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Do not ask the Azure Retail Prices API: standby costs use prices read before (cached), else say unknown.",
    ),
]
HeadOption = Annotated[
    Optional[Path],
    typer.Option("--head", help="Compare this synthesized output folder instead of synthesizing --config now."),
]


def write_atomically(path: Path, text: str) -> None:
    """Write the whole file or nothing: a temporary sibling replaces `path` when complete.

    The sibling is created with mode 0666 minus the user's umask, as `open()` would create `path`
    itself (tempfile.mkstemp would make it 0600, and the review file would keep that).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}"
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


REVIEW_HEADER = b"# mdpool review\n\nBase: "
"""How every review mdpool writes starts (mdpool.review.markdown): a file without it is not mdpool's to replace."""


def _output_problem(out: Path) -> str | None:
    """Why the review cannot be written to `out`, found before anything slow runs; None if it looks writable.

    The same rules as `synth --out` (mdpool.output_folder): a new path, or a file mdpool wrote (a
    review); never a symbolic link, a special file or a file of somebody else's, which it would replace."""
    from mdpool.files import FileRefused, read_bounded

    if out.is_symlink():
        return f"{out}: is a symbolic link; --out needs a new file, or a review mdpool wrote, not a link"
    if out.is_dir():
        return f"{out}: is a folder; --out needs a file path, e.g. review.md"
    blocker = next((parent for parent in out.parents if parent.exists() or parent.is_symlink()), None)
    if blocker is not None and not blocker.is_dir():
        return f"{out}: {blocker} is a file, not a folder; --out needs a file path in a folder"
    if out.exists():
        try:
            head = read_bounded(out, 16 * 1024 * 1024)[: len(REVIEW_HEADER)]
        except (OSError, FileRefused) as refused:
            return f"{out}: {refused}; --out needs a new file, or a review mdpool wrote"
        if head != REVIEW_HEADER:
            return f"{out}: exists and was not written by mdpool review; move it, or choose another --out"
    return None


def _write_review(out: Path, text: str) -> None:
    try:
        write_atomically(out, text)
    except OSError as error:
        fail([f"{out}: cannot write the review ({error.strerror or error}); --out needs a file path in a folder you can write"])


def _head(config: Path, head: Path | None, scratch: Path):
    from mdpool.review.synthesized import load_synthesized

    if head is not None:
        return load_synthesized(head, str(head))
    from mdpool.cli_support import load_environment_or_exit
    from mdpool.synth import synthesize

    synthesize(load_environment_or_exit(config), scratch / "head")
    return load_synthesized(scratch / "head", f"working tree ({config.as_posix()})")


def _standby_costs(base_side, head_side, offline: bool):
    """Each pool's standby estimate before and after (prices from the Retail Prices API or its cache)."""
    from mdpool.cost.prices import PriceList
    from mdpool.review.cost import cost_changes

    try:
        prices = PriceList.from_environment(offline=offline)
    except ValueError as error:
        fail([str(error)])
    try:
        return cost_changes(base_side, head_side, prices)
    finally:
        prices.close()


def review(
    base: BaseOption,
    config: ConfigOption = DEFAULT_CONFIG,
    out: OutOption = None,
    head: HeadOption = None,
    offline: OfflineOption = False,
    json_output: JsonOption = False,
) -> None:
    """Summarize in Markdown what the working tree changes against --base: per stack, resources
    added/removed/changed, attribute changes, replacements, and the pool in plain words."""
    from mdpool.problems import InputError
    from mdpool.review.base import BaseUnavailable, open_base
    from mdpool.review.diff import diff_synthesized
    from mdpool.review.markdown import render_markdown

    problem = _output_problem(out) if out is not None else None
    if problem:
        fail([problem])
    try:
        # a git ref synthesizes in a child process while the head synthesizes here
        with open_base(base, config) as base_result, tempfile.TemporaryDirectory(prefix="mdpool-review-head-") as scratch:
            head_side = _head(config, head, Path(scratch))
            base_side = base_result()
    except BaseUnavailable as error:
        fail(error.lines)
    except InputError as error:
        fail(error.problems)
    summary = diff_synthesized(base_side, head_side)
    costs = _standby_costs(base_side, head_side, offline) if summary.has_changes else []
    text = render_markdown(summary, base_side.label, head_side.label, costs)
    if out is not None:
        _write_review(out, text)
    if OUTPUT.json:
        from mdpool.review.json_summary import review_document

        emit_json(review_document(summary, text, None if out is None else str(out), costs))
    elif out is None:
        typer.echo(shown_lines(text), nl=False)  # Markdown of config values: inert in a terminal or CI log
    else:
        say(f"review written to {out}" + ("" if summary.has_changes else " (no changes)"))
