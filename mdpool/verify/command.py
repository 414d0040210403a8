"""`mdpool verify`: after a deploy, whether the pool serves pipelines; one row per check, as `mdpool doctor`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import typer

from mdpool.cli_support import DEFAULT_CONFIG, ConfigOption, JsonOption, emit_json, fail, load_config_or_exit
from mdpool.deploy.cli import OutOption

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.model import CheckResult


def verify(config: ConfigOption = DEFAULT_CONFIG, out: OutOption = Path("cdktf.out"), json_output: JsonOption = False) -> None:
    """Check that the deployed pool serves: agent pool, project queues, parallel jobs, provisioning errors, versions.

    One row per check: ok, warning (not checked, or worth a look) or failed with the fix. Exit 1 when
    a check failed, 0 otherwise. Reads only; changes nothing.
    """
    from mdpool.doctor.output import problems, row, summary, to_json

    cfg = load_config_or_exit(config)
    from mdpool.printed import echo  # values in the rows are shown, never obeyed

    results = run_verify(cfg, out, echo=None if json_output else echo)
    if json_output:  # as doctor's: the rows under `report`, failed ones errors and warnings warnings
        emit_json(to_json(results), problems=problems(results, str(config)), exit_code=1 if any(r.failed for r in results) else 0)
    else:
        echo(summary(results, "verify"))
    if any(r.failed for r in results):
        if json_output:
            for result in results:
                if result.failed:
                    echo(row(result), file=sys.stderr)
        raise typer.Exit(1)


def run_verify(
    cfg: "EnvironmentConfig", out: Path | None, *, echo: Callable[[str], None] | None, endpoints=None
) -> "list[CheckResult]":
    """Every verify row, each passed to `echo` as it comes (also after the pool stage of `mdpool deploy --verify`)."""
    import logging

    # azure-identity logs each failed credential attempt as a multi-line warning; the rows say it in one line
    logging.getLogger("azure").addHandler(logging.NullHandler())
    from mdpool.doctor.http import Endpoints
    from mdpool.doctor.output import row
    from mdpool.doctor.runner import run_checks
    from mdpool.verify import CHECKS

    if endpoints is None:
        try:
            endpoints = Endpoints.from_environment()
        except ValueError as error:
            fail([str(error)])
    return run_checks(cfg, endpoints, checks=CHECKS, out=out, on_result=(lambda result: echo(row(result))) if echo else None)
