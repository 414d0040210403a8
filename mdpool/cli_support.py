"""What every subcommand shares: the --config option, loading it, and failing with one line per problem.

Kept free of heavy imports: `mdpool validate` must answer in well under a second, so nothing here
may import the provider bindings, jsii or the Azure SDK.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Iterable, NoReturn

import typer

from mdpool.problems import InputError, Problem

DEFAULT_CONFIG = Path("config/example.yaml")

ConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", help="Environment configuration file (YAML).", show_default=True),
]


# --poll-interval (deploy, images build), seconds between two status checks of a running image build.
# At least 0.01 s: each check is an HTTPS round trip, and the tests' loopback stand-in polls at 0.05 s.
# At most 600 s: a finished build is noticed within ten minutes (a build runs for up to
# buildTimeoutInMinutes, at most 960: azure-rest-api-specs, imagebuilder 2025-10-01,
# ImageTemplateProperties), and the number stays finite (inf would hang; nan fails the range check).
# For real Azure keep it at a few seconds or more: ARM refills 25 reads/s per principal and
# subscription (learn.microsoft.com, "Understand how Azure Resource Manager throttles requests"), so
# 32 parallel builds polled faster than ~1.3 s get throttled (the SDK then waits and retries).
POLL_INTERVAL_BOUNDS = (0.01, 600.0)


def fail(lines: Iterable[object], code: int = 1) -> NoReturn:
    """Print each line to stderr and exit with `code` (1: the input or the cloud said no)."""
    lines = list(lines)
    for line in lines:
        print(str(line), file=sys.stderr)
    if code == 1:
        _annotate_in_ci(lines)
    raise typer.Exit(code)


def _annotate_in_ci(lines: list[object]) -> None:
    """Under Azure Pipelines or GitHub Actions, the problems again as annotations on the PR's diff."""
    from mdpool.ci_annotations import annotate

    annotate(lines)


def load_config_or_exit(path: Path):
    """Parse and validate the configuration once, at the edge; on bad input print every problem and exit 1."""
    from mdpool.config import load_config

    try:
        config = load_config(path)
    except InputError as error:
        fail([*error.problems, *error.warnings])
    warn(config.warnings)
    return config


def warn(warnings: Iterable[Problem]) -> None:
    """Print each warning to stderr (`FILE:LINE: path: warning: ...`); the command goes on (exit 0)."""
    for warning in warnings:
        print(str(warning), file=sys.stderr)


def load_environment_or_exit(path: Path):
    """The configuration and every image definition file it names, checked; exit 1 on any problem.

    What synthesizes or deploys goes through this, so a typo in an image definition is reported
    before a synth, a plan or an hour-long build, not after.
    """
    from mdpool.imagebuild import check_image_definitions

    config = load_config_or_exit(path)
    report(check_image_definitions(config))
    return config


def report(problems: list[Problem]) -> None:
    """Exit 1 after printing the problems, if there are any."""
    if problems:
        fail(sorted(problems, key=lambda p: (p.file, p.line or 0, p.path)))
