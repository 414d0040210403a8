"""`mdpool init [DIR]`: the CLI edge of the starter (cheap to import; the readers load when it runs)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mdpool.cli_support import fail, say
from mdpool.problems import InputError


def _is_terminal() -> bool:
    """Prompts only when a person can answer: stdin is a terminal (a pipeline's or a script's is not)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def init(
    folder: Annotated[Path, typer.Argument(help="Folder to start the repository in (made if missing).")] = Path("."),
    environment: Annotated[
        str | None, typer.Option("--environment", "-e", help="Short environment name, e.g. dev (default: dev).")
    ] = None,
    location: Annotated[str | None, typer.Option("--location", "-l", help="Azure region (default: westeurope).")] = None,
    organization_url: Annotated[
        str | None, typer.Option("--organization-url", help="Azure DevOps organization, https://dev.azure.com/<name>.")
    ] = None,
    project: Annotated[
        list[str] | None,
        typer.Option("--project", help="Azure DevOps project the pool serves (repeatable; none: every project)."),
    ] = None,
    subscription_id: Annotated[
        str | None, typer.Option("--subscription-id", help="Azure subscription id (default: a placeholder).")
    ] = None,
) -> None:
    """Start a repository of your own: mdpool.yaml, an Ubuntu and a Windows image, pipelines, schemas, hooks.

    Writes only new files: a folder that already holds any of them is refused, nothing written. On a
    terminal it asks for what no option gave; otherwise it takes the options and the defaults.
    """
    from mdpool.starter.files import StarterValues, occupied, planned_paths, starter_files, write_new

    taken = occupied(folder, planned_paths())
    if taken:  # before any question: an answer would be wasted
        fail(taken)
    defaults = StarterValues()
    asking = _is_terminal()

    def value(given: str | None, question: str, default: str) -> str:
        if given is not None:
            return given
        return str(typer.prompt(question, default=default)) if asking else default

    values = StarterValues(
        environment=value(environment, "Environment name (lowercase, up to 10 characters)", defaults.environment),
        location=value(location, "Azure region", defaults.location),
        subscription_id=value(subscription_id, "Azure subscription id", defaults.subscription_id),
        organization_url=value(organization_url, "Azure DevOps organization URL", defaults.organization_url),
        projects=tuple(project)
        if project
        else tuple(p for p in [value(None, "Azure DevOps project (empty: every project)", "")] if p.strip()),
    )
    try:
        files = starter_files(values, folder)
    except InputError as error:
        fail([*error.problems, *error.warnings])
    taken = occupied(folder, sorted(files))  # again: the folder may have changed while we asked
    if taken:
        fail(taken)
    try:
        written = write_new(folder, files)
    except OSError as error:
        fail([f"{error.filename or folder}: cannot write it ({error.strerror or error}); nothing was written"])
    for path in written:
        say(f"wrote {path}")
    where = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder} && "
    say(f"next: {where}mdpool validate && mdpool synth && mdpool images lint (README.md says what follows)")
