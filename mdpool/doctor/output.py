"""The doctor's answer: a table for people (one row per check), JSON for CI."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mdpool.doctor.model import FAILED, SKIPPED, WARNING, CheckResult
from mdpool.problems import Problem


def row(result: CheckResult) -> str:
    """`failed   quota: needs 40 vCPUs ...; fix: raise ...` (one line)."""
    fix = f"; fix: {result.fix}" if result.fix and result.status != "ok" else ""
    return f"{result.status:<8} {result.check}: {result.message}{fix}"


def summary(results: Iterable[CheckResult], command: str = "doctor") -> str:
    results = list(results)
    failures = sum(r.status == FAILED for r in results)
    warnings = sum(r.status == WARNING for r in results)
    skips = sum(r.status == SKIPPED for r in results)
    return f"{command}: {len(results)} check(s), {failures} failed, {warnings} warning(s)" + (f", {skips} skipped" * bool(skips))


def to_json(results: Iterable[CheckResult]) -> dict[str, Any]:
    results = list(results)
    return {"result": "failed" if any(r.failed for r in results) else "ok", "checks": [r.to_json() for r in results]}


def problems(results: Iterable[CheckResult], config: str) -> list[Problem]:
    """The failed checks (errors) and the warnings, as problems of the config they were run for."""
    severity = {FAILED: "error", WARNING: "warning"}
    return [
        Problem(config, None, r.check, r.message + (f"; fix: {r.fix}" if r.fix else ""), severity[r.status])  # type: ignore[arg-type]
        for r in results
        if r.status in severity
    ]
