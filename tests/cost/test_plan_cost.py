"""`mdpool plan`'s standby cost table and JSON, read from a synthesized output (the example's),
priced by the loopback Retail Prices stand-in."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from rich.console import Console

from mdpool.cost.summary import say_standby_cost
from mdpool.deploy.orchestrator import Report
from tests.support.prices_standin import PricesStandIn, meter


@pytest.fixture
def prices(tmp_path, monkeypatch):
    standin = PricesStandIn(tmp_path)
    standin.publish(meter("westeurope", "Standard_DS3_v2", 0.293), meter("westeurope", "Standard_DS3_v2", 0.585, windows=True))
    monkeypatch.setenv("MDPOOL_PRICES_ENDPOINT", standin.base_url)
    monkeypatch.setenv("MDPOOL_PRICES_CA_BUNDLE", standin.ca_path)
    monkeypatch.setenv("MDPOOL_CACHE_DIR", str(tmp_path / "cache"))  # each test starts with no price read before
    yield standin
    standin.stop()


def planned(example_synth, result="planned"):
    buffer = io.StringIO()
    report = Report(command="plan", environment="dev", result=result)
    deployment = SimpleNamespace(
        synth=SimpleNamespace(root=example_synth), report=report, console=Console(file=buffer, width=200, color_system=None)
    )
    return deployment, buffer


def test_after_a_plan_each_pool_has_its_hours_and_monthly_cost(prices, example_synth):
    deployment, printed = planned(example_synth)
    say_standby_cost(deployment, offline=False)
    # The example: Monday-Friday 04:00-18:00, one agent, all standby on the Linux image: 70 agent-hours;
    # 70 * 730 / 168 * 0.293 = 89.12 a month.
    (entry,) = deployment.report.to_json()["standby_cost"]
    assert (entry["pool"], entry["weekly_agent_hours"], round(entry["monthly"]["high"], 2)) == ("mdp-jhp-dev-weu", 70, 89.12)
    text = printed.getvalue()
    assert "Standby cost (estimate)" in text and "89.12 USD" in text and "leaves out" in text


def test_offline_without_a_cache_says_unknown(prices, example_synth):
    deployment, printed = planned(example_synth)
    say_standby_cost(deployment, offline=True)
    (entry,) = deployment.report.standby_cost
    assert entry["monthly"] is None and "offline" in entry["note"]
    assert prices.requests == []


def test_a_plan_that_did_not_plan_shows_no_cost(prices, example_synth):
    deployment, printed = planned(example_synth, result="failed")
    say_standby_cost(deployment, offline=False)
    assert deployment.report.standby_cost == [] and printed.getvalue() == ""
