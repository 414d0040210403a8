"""`mdpool pipeline render|comment`: the CLI edge of the pipelines package (cheap to import)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from mdpool.cli_support import DEFAULT_CONFIG, ConfigOption, fail, say

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
def render(config: ConfigOption = DEFAULT_CONFIG, out: OutDirOption = Path("pipelines"), check: CheckOption = False) -> None:
    """Render pull-request.yml, deploy.yml and refresh-images.yml for the environment in --config."""
    from mdpool.cli_support import load_config_or_exit
    from mdpool.pipelines.render import render_pipelines
    from mdpool.pipelines.settings import pipeline_settings
    from mdpool.review.command import write_atomically

    reference = config_reference(config)
    settings = pipeline_settings(load_config_or_exit(config), reference)
    rendered = render_pipelines(settings)
    if check:
        again = f"run `mdpool pipeline render --config {reference} --out {out.as_posix()}`"
        stale = []
        for name, text in rendered.items():
            path = out / name
            if not path.is_file():
                stale.append(f"{path}: missing; {again}")
            elif path.read_text(encoding="utf-8") != text:
                stale.append(f"{path}: out of date with {reference} and the templates; {again}")
        if stale:
            fail(stale)
        say(f"{', '.join(str(out / name) for name in rendered)}: up to date")
        return
    for name, text in rendered.items():
        write_atomically(out / name, text)
        say(f"wrote {out / name}")
    if not settings.shared_state:
        print(
            f"note: {reference} keeps Terraform state in local files (state.backend: local); "
            f"{out / 'deploy.yml'} refuses to run until it uses the azurerm backend",
            file=sys.stderr,
        )


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

    try:
        markdown = summary.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail([f"{summary}: cannot read the review summary: {getattr(error, 'strerror', None) or error}"])
    pull_request = PullRequest.from_environment(os.environ)
    if isinstance(pull_request, str):
        print(f"not posting the review: {pull_request}")
        return
    token = os.environ.get("SYSTEM_ACCESSTOKEN", "")
    if not token:
        print(
            "not posting the review: SYSTEM_ACCESSTOKEN is not set "
            "(map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken))"
        )
        return
    try:
        print(post_review(pull_request, token, markdown, config_reference(config)))
    except CommentError as error:
        fail([f"posting the review failed: {error}"])
