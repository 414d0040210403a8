"""Run the checks that apply to a config, each on its own: one that cannot ask Azure warns, never stops the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mdpool.doctor.checks import (
    build_policy,
    build_vm_size,
    devops,
    gallery_images,
    permissions,
    pool_name,
    providers,
    quota,
    resource_disk,
    service_principal,
    skus,
    state_backend,
)
from mdpool.doctor.model import CheckResult, failed, warning

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.http import Endpoints

# In the order a first deploy meets them
CHECKS = (
    providers,
    permissions,
    state_backend,
    pool_name,
    skus,
    resource_disk,
    build_vm_size,
    quota,
    service_principal,
    devops,
    gallery_images,
    build_policy,
)


def applicable(cfg: EnvironmentConfig, *, cheap_only: bool = False, checks: Sequence[Any] = CHECKS) -> list[Any]:
    """The check modules that apply to `cfg`, in order (`cheap_only`: the ones `mdpool deploy` runs first)."""
    return [check for check in checks if check.applies(cfg) and (check.CHEAP or not cheap_only)]


def run_checks(
    cfg: EnvironmentConfig,
    endpoints: Endpoints | None = None,
    *,
    cheap_only: bool = False,
    on_result: Callable[[CheckResult], None] | None = None,
    checks: Sequence[Any] = CHECKS,
    out: Path | None = None,
) -> list[CheckResult]:
    """Every applicable check's rows, in order. `cheap_only`: the ones `mdpool deploy` runs first.
    `checks`: the check modules to run (`mdpool verify` runs its own, mdpool.verify.CHECKS)."""
    from azure.core.exceptions import ClientAuthenticationError

    from mdpool.doctor.context import Context
    from mdpool.doctor.http import Endpoints, Unchecked, one_line

    ctx = Context(cfg, endpoints or Endpoints.from_environment(), out)
    results: list[CheckResult] = []
    no_token: str | None = None  # the first check that could not get a token says why; the rest point to it
    try:
        for check in applicable(cfg, cheap_only=cheap_only, checks=checks):
            try:
                rows = check.run(ctx)
            except Unchecked as error:
                rows = [warning(check.NAME, error.message, error.fix)]
            except ClientAuthenticationError as error:  # no credential: every deploy step would fail the same way
                reason = f"see {no_token}" if no_token else one_line(error)
                no_token = no_token or check.NAME
                rows = [
                    failed(
                        check.NAME, f"no Azure token ({reason})", "sign in (az login, or a pipeline's Azure service connection)"
                    )
                ]
            except Exception as error:  # noqa: BLE001 - an answer we did not expect: say so, go on with the other checks
                rows = [warning(check.NAME, f"not checked: {one_line(error)}")]
            for row in rows:
                results.append(row)
                if on_result is not None:
                    on_result(row)
    finally:
        ctx.close()
    return results
