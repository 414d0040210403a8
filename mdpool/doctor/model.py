"""What a check answers: one row with its status, what was found, and the fix."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARNING, FAILED, SKIPPED = "ok", "warning", "failed", "skipped"


@dataclass(frozen=True)
class CheckResult:
    check: str
    """Short id of the check, e.g. `quota` or `devops:your-organization`."""
    status: str
    """ok | warning | failed | skipped (it needs what is missing, e.g. an Azure sign-in)"""
    message: str
    """What was found, with the numbers."""
    fix: str = ""
    """One line: what to do about it (empty when ok)."""

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "message": self.message, "fix": self.fix}


def ok(check: str, message: str) -> CheckResult:
    return CheckResult(check, OK, message)


def warning(check: str, message: str, fix: str = "") -> CheckResult:
    return CheckResult(check, WARNING, message, fix)


def failed(check: str, message: str, fix: str) -> CheckResult:
    return CheckResult(check, FAILED, message, fix)


def skipped(check: str, message: str) -> CheckResult:
    return CheckResult(check, SKIPPED, message)
