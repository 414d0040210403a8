"""The pool's name is free in Azure (pool names are global), unless the pool is already ours."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdpool.doctor.context import DEVOPS_INFRASTRUCTURE_API
from mdpool.doctor.http import Unchecked
from mdpool.doctor.model import CheckResult, failed, ok, warning

from mdpool.yamlsource import dotted

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig, Pool
    from mdpool.doctor.context import Context

NAME = "pool-name"
CHEAP = True
POOL_TYPE = "Microsoft.DevOpsInfrastructure/pools"


def applies(cfg: EnvironmentConfig) -> bool:
    return True


def run(ctx: Context) -> list[CheckResult]:
    """One row per pool: each pool's name is global in Azure, so each is asked for on its own."""
    rows = []
    for pool in ctx.cfg.pools:  # one pool not answering does not hide the others
        try:
            rows.append(_check(ctx, pool))
        except Unchecked as error:
            if len(ctx.cfg.pools) == 1:
                raise
            rows.append(warning(ctx.row(NAME, pool), error.message, error.fix))
    return rows


def _check(ctx: Context, pool: Pool) -> CheckResult:
    names, row, setting = ctx.names.for_pool(pool), ctx.row(NAME, pool), dotted(pool.loc("name"))
    name, rg = names.pool, names.resource_group
    # Pools_Get (devopsinfrastructure.json 2026-06-02): our own pool keeps its name
    if ctx.our_pool_of(pool) is not None:
        return ok(row, f"pool {name} already exists in {rg} (ours): the deploy updates it")
    # Pools_CheckNameAvailability (devopsinfrastructure.json 2026-06-02): pool names are globally unique
    reply = ctx.arm.request(
        "POST",
        f"{ctx.subscription}/providers/Microsoft.DevOpsInfrastructure/checkNameAvailability",
        DEVOPS_INFRASTRUCTURE_API,
        body={"name": name, "type": POOL_TYPE},
    )
    if not reply.ok:
        raise Unchecked(f"could not check whether pool name {name} is free: {reply.describe()}")
    body = reply.body or {}
    if body.get("available") == "Available":
        return ok(row, f"pool name {name} is available")
    reason = body.get("reason") or "Unavailable"
    detail = f": {body['message']}" if body.get("message") else ""
    if reason == "Invalid":
        return failed(
            row,
            f"pool name {name} is not valid ({reason}{detail})",
            f"set {setting} to a valid name (3-44 letters, digits, hyphens, periods)",
        )
    return failed(
        row,
        f"pool name {name} is already taken in Azure ({reason}{detail}); pool names are global",
        f"set {setting} in the config to another name (e.g. with your organization's prefix)",
    )
