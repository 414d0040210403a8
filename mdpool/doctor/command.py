"""`mdpool doctor`, and the pre-flight that `mdpool deploy` runs before it creates anything."""

from __future__ import annotations

import sys

import typer

from mdpool.cli_support import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    emit_json,
    fail,
    keep_report,
    load_environment_or_exit,
)
from mdpool.printed import echo


def doctor(
    config: ConfigOption = DEFAULT_CONFIG,
    json_output: JsonOption = False,
) -> None:
    """Check what makes a first deploy fail: providers, pool name, SKU, quota, permissions, Azure DevOps.

    One row per check: ok, warning (not checked, or worth a look) or failed with the fix; without an
    Azure sign-in, one line says so and every check is skipped. Exit 1 when something would fail
    (no sign-in included), 0 otherwise. Reads only; changes nothing.
    """
    from mdpool.doctor.output import problems, row, summary, to_json

    cfg = load_environment_or_exit(config)
    endpoints, not_signed_in = _endpoints()
    if not_signed_in is not None:  # every check asks Azure: each row says skipped, one line says why
        results = _skipped_without_sign_in(cfg, cheap_only=False)
        keep_report({**to_json(results), "result": "not signed in"})
        if not json_output:
            for result in results:
                echo(row(result))
            echo(summary(results))
        fail([not_signed_in])
    results = _run(cfg, endpoints, cheap_only=False, echo=None if json_output else echo)
    if json_output:
        emit_json(to_json(results), problems=problems(results, str(config)), exit_code=1 if any(r.failed for r in results) else 0)
    else:
        echo(summary(results))
    if any(r.failed for r in results):
        if json_output:
            for result in results:
                if result.failed:
                    echo(row(result), file=sys.stderr)
        raise typer.Exit(1)


def preflight(cfg, *, echo) -> None:
    """The cheap checks before a deploy: print each row through `echo`; exit 1 on a failure."""
    from mdpool.doctor.output import row

    endpoints, not_signed_in = _endpoints()
    if not_signed_in is not None:  # the checks, and the deploy after them, would all fail on it
        fail([not_signed_in])
    results = _run(cfg, endpoints, cheap_only=True, echo=echo)
    failures = [row(r) for r in results if r.failed]
    if failures:
        # the failure's JSON document (--json) carries the checks, as doctor's does
        keep_report({"result": "checks failed", "checks": [r.to_json() for r in results]})
        fail(failures + ["mdpool deploy: stopped before anything was created; fix the above, or pass --skip-checks"])


def _endpoints():
    """Where the checks ask, and None, or the one line that says no Azure credential gives a token
    (mdpool.azure_credential, as `deploy` and `images build` say it)."""
    from mdpool.azure_credential import CredentialProblem, checked_credential
    from mdpool.doctor.http import Endpoints

    try:
        endpoints = Endpoints.from_environment()
    except ValueError as error:
        fail([str(error)])
    try:
        checked_credential(endpoints.arm.credential)
    except CredentialProblem as problem:
        return endpoints, str(problem)
    return endpoints, None


def _skipped_without_sign_in(cfg, *, cheap_only: bool):
    from mdpool.doctor.model import skipped
    from mdpool.doctor.runner import applicable

    return [skipped(check.NAME, "not checked: needs an Azure sign-in") for check in applicable(cfg, cheap_only=cheap_only)]


def _run(cfg, endpoints, *, cheap_only: bool, echo):
    import logging

    # azure-identity logs each failed credential attempt as a multi-line warning; the rows say it in one line
    logging.getLogger("azure").addHandler(logging.NullHandler())
    from mdpool.doctor.output import row
    from mdpool.doctor.runner import run_checks

    return run_checks(cfg, endpoints, cheap_only=cheap_only, on_result=(lambda result: echo(row(result))) if echo else None)
