"""`mdpool pipeline render|comment`: the CLI edge of the pipelines package (cheap to import)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from mdpool.cli_support import DEFAULT_CONFIG, OUTPUT, ConfigOption, JsonOption, emit_json, fail, keep_report, say
from mdpool.printed import echo

app = typer.Typer(
    name="pipeline",
    help="Azure Pipelines: render the pipeline YAML from the config; post a review on a pull request.",
    no_args_is_help=True,
)

OutDirOption = Annotated[Path, typer.Option("--out", "-o", help="Folder for the rendered pipeline files.")]
CheckOption = Annotated[
    bool, typer.Option("--check", help="Write nothing; exit 1 if the files in --out differ from a fresh render.")
]


def config_reference(config: Path) -> str:
    """How the pipeline names the config: relative to the repository root, where the jobs run."""
    try:
        return config.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return config.as_posix()


@app.command()
def render(
    config: ConfigOption = DEFAULT_CONFIG,
    out: OutDirOption = Path("pipelines"),
    check: CheckOption = False,
    json_output: JsonOption = False,
) -> None:
    """Render pull-request.yml, deploy.yml and refresh-images.yml for the environment in --config."""
    from mdpool.cli_support import load_config_or_exit
    from mdpool.pipelines.render import render_pipelines
    from mdpool.pipelines.settings import pipeline_layout, pipeline_settings
    from mdpool.review.command import write_atomically

    reference = config_reference(config)
    cfg = load_config_or_exit(config)
    # the jobs run at the repository root, the folder render runs in: mdpool's own (a clone) or a user's (a tool)
    settings = pipeline_settings(cfg, reference, pipeline_layout(cfg, Path.cwd()))
    rendered = render_pipelines(settings)
    keep_report({"config": reference, "out": str(out), "check": check, "files": [str(out / name) for name in rendered]})
    if check:
        again = f"run `mdpool pipeline render --config {reference} --out {out.as_posix()}`"
        stale = []
        for name, text in rendered.items():
            path = out / name
            if not path.is_file():
                stale.append(f"{path}: missing; {again}")
            elif _read_bytes(path) != text.encode("utf-8"):
                stale.append(f"{path}: out of date with {reference} and the templates; {again}")
        if stale:
            fail(stale)
        say(f"{', '.join(str(out / name) for name in rendered)}: up to date")
        if OUTPUT.json:
            emit_json()
        return
    problems = _unwritable(out, rendered)
    if problems:  # all checked before the first file is written
        fail(problems)
    for name, text in rendered.items():
        try:
            write_atomically(out / name, text)
        except OSError as error:
            fail([f"{out / name}: cannot write it ({error.strerror or error}); --out needs a folder you can write"])
        say(f"wrote {out / name}")
    if not settings.shared_state:
        echo(
            f"note: {reference} keeps Terraform state in local files (state.backend: local); "
            f"{out / 'deploy.yml'} refuses to run until it uses the azurerm backend",
            file=sys.stderr,
        )
    if OUTPUT.json:
        emit_json()


def _read_bytes(path: Path) -> bytes | None:
    from mdpool.files import FileRefused, read_bounded

    try:  # a regular file, bounded (a rendered pipeline is a few KiB)
        return read_bounded(path, 16 * 1024 * 1024)
    except (OSError, FileRefused):
        return None


def _unwritable(out: Path, rendered: dict[str, str]) -> list[str]:
    """Why the pipeline files cannot go into `out`: not a folder, or a file there mdpool did not write.

    A file of that name that does not start with the header every render writes is the user's own
    pipeline: it is never overwritten (mdpool replaces only what it wrote)."""
    from mdpool.pipelines.render import GENERATED_HEADER

    if out.exists() and not out.is_dir():
        return [f"{out}: is a file, not a folder; --out needs a folder for the pipeline files"]
    blocker = next((parent for parent in out.parents if parent.exists()), None)
    if blocker is not None and not blocker.is_dir():
        return [f"{out}: {blocker} is a file, not a folder; --out needs a folder for the pipeline files"]
    problems = []
    for name in rendered:
        path = out / name
        if path.is_symlink():  # os.replace would put the file where the link is: not ours to replace
            problems.append(f"{path}: is a symbolic link; move it, or choose another --out")
        elif path.is_dir():
            problems.append(f"{path}: is a folder; move it, or choose another --out")
        elif path.exists() and not (_read_bytes(path) or b"").startswith(GENERATED_HEADER.encode("utf-8")):
            problems.append(f"{path}: exists and was not written by mdpool pipeline render; move it, or choose another --out")
    return problems


@app.command()
def comment(
    summary: Annotated[Path, typer.Argument(help="The Markdown written by `mdpool review --out`.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Post the review summary on the pull request this Azure Pipelines build validates.

    Reads the build's variables from the environment and the token from SYSTEM_ACCESSTOKEN (map it
    with `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`); without them it says why and posts
    nothing. Updates the comment an earlier run left for the same --config instead of adding one.
    """
    from mdpool.pipelines.pr_comment import CommentError, PullRequest, post_review

    from mdpool.files import FileRefused, read_bounded

    try:  # a regular file, bounded: the comment keeps at most MAX_COMMENT_CHARACTERS of it anyway
        markdown = read_bounded(summary, 16 * 1024 * 1024).decode("utf-8")
    except (OSError, UnicodeDecodeError, FileRefused) as error:
        fail([f"{summary}: cannot read the review summary: {getattr(error, 'strerror', None) or error}"])
    pull_request = PullRequest.from_environment(os.environ)
    if isinstance(pull_request, str):
        echo(f"not posting the review: {pull_request}")
        return
    token = os.environ.get("SYSTEM_ACCESSTOKEN", "")
    if not token:
        echo(
            "not posting the review: SYSTEM_ACCESSTOKEN is not set "
            "(map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken))"
        )
        return
    try:
        echo(post_review(pull_request, token, markdown, config_reference(config)))
    except CommentError as error:
        fail([f"posting the review failed: {error}"])
