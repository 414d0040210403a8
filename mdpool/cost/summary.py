"""`mdpool plan`'s standby cost: each pool of the synthesized output, its weekly agent-hours and
monthly estimate, as a table for people and as data for `--json`. Best effort: never fails a plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mdpool.cost.estimate import LEFT_OUT, PoolCost


def cost_json(cost: PoolCost | None) -> dict[str, Any] | None:
    """One pool's estimate as data (`mdpool plan --json`, `mdpool review --json`)."""
    if cost is None:
        return None
    return {
        "pool": cost.pool,
        "region": cost.region,
        "sizes": list(cost.sizes),
        "standby": cost.standby.kind,
        "weekly_agent_hours": cost.weekly_hours,
        "monthly": None if cost.monthly is None else {"low": cost.monthly[0], "high": cost.monthly[1]},
        "currency": cost.currency,
        "note": cost.note,
    }


def synthesized_costs(root: Path, *, offline: bool) -> list[PoolCost]:
    """The estimate of every pool in the synthesized output at `root`."""
    from mdpool.cost.prices import PriceList
    from mdpool.review.cost import pool_costs
    from mdpool.review.synthesized import load_synthesized

    prices = PriceList.from_environment(offline=offline)
    try:
        return list(pool_costs(load_synthesized(root, str(root)), prices).values())
    finally:
        prices.close()


def money(cost: PoolCost) -> str:
    if cost.monthly is None:
        return "unknown"
    low, high = cost.monthly
    return f"{low:,.2f} {cost.currency}" if f"{low:,.2f}" == f"{high:,.2f}" else f"{low:,.2f} to {high:,.2f} {cost.currency}"


def cost_table(costs: list[PoolCost]) -> Any:
    """A rich table: pool, standby agent-hours a week, a month at pay-as-you-go prices, note."""
    from rich.table import Table

    table = Table(title="Standby cost (estimate)", title_justify="left")
    for column in ("pool", "agent-hours a week", "a month (pay-as-you-go)", "note"):
        table.add_column(column)
    for cost in costs:
        hours = "unknown" if cost.weekly_hours is None else f"{cost.weekly_hours:g}"
        table.add_row(cost.pool, hours, money(cost), cost.note)
    table.caption = LEFT_OUT
    table.caption_justify = "left"
    return table


def say_standby_cost(deployment: Any, *, offline: bool) -> None:
    """After a plan: the table on the deployment's console, the data on its report (best effort)."""
    report = deployment.report
    if report is None or report.result != "planned":
        return
    try:
        costs = synthesized_costs(deployment.synth.root, offline=offline)
    except Exception as error:  # noqa: BLE001 - an estimate: the plan itself succeeded
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        deployment.console.print(f"standby cost: not estimated ({first})", markup=False, highlight=False, soft_wrap=True)
        return
    if not costs:
        return
    report.standby_cost = [cost_json(cost) for cost in costs]
    deployment.console.print(cost_table(costs))
