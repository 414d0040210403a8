"""The review's standby cost: agent-hours and a month's pay-as-you-go cost per pool, before and after,
from the loopback Retail Prices stand-in; each figure worked out by hand from the stand-in's prices."""

from __future__ import annotations

import pytest

from mdpool.cost.estimate import pool_cost
from mdpool.cost.prices import PriceCache, PriceList
from tests.support.json_contract import json_report
from tests.conftest import run_mdpool
from tests.support.prices_standin import PricesStandIn, meter

DS3_LINUX, DS3_WINDOWS, D4S_LINUX = 0.293, 0.585, 0.23


@pytest.fixture
def prices(tmp_path):
    standin = PricesStandIn(tmp_path)
    standin.publish(
        meter("westeurope", "Standard_DS3_v2", DS3_LINUX),
        meter("westeurope", "Standard_DS3_v2", DS3_WINDOWS, windows=True),
        meter("westeurope", "Standard_DS3_v2", 0.05, kind="Spot"),
        meter("westeurope", "Standard_D4s_v3", D4S_LINUX),
    )
    yield standin
    standin.stop()


def env(prices, tmp_path):
    return {
        "MDPOOL_PRICES_ENDPOINT": prices.base_url,
        "MDPOOL_PRICES_CA_BUNDLE": prices.ca_path,
        "MDPOOL_CACHE_DIR": str(tmp_path / "cache"),
    }


def test_a_schedule_change_shows_its_hours_and_cost_difference(prices, tmp_path, example_synth, review_cases):
    result = run_mdpool(
        "review", "--base", str(example_synth), "--head", str(review_cases["schedule"]), env=env(prices, tmp_path)
    )
    assert result.returncode == 0, result.stderr
    # Base: Monday-Friday 04:00-18:00, one agent: 70 agent-hours a week.
    # Head: Monday 05:00-18:00 two agents (26), Tuesday-Friday as before (56), Saturday 08:00-12:00 one (4): 86.
    # A month is 730 hours: 70 * 730 / 168 * 0.293 = 89.12; 86 * 730 / 168 * 0.293 = 109.49; +20.37.
    row = "| `mdp-jhp-dev-weu` | 70 → 86 (+16) | 89.12 USD → 109.49 USD (+20.37) |"
    assert row in result.stdout
    assert "## Standby cost (estimate)" in result.stdout
    assert "leaves out the time jobs run beyond the standby count" in result.stdout


def test_a_size_change_prices_the_new_size(prices, tmp_path, example_synth, review_cases):
    result = run_mdpool("review", "--base", str(example_synth), "--head", str(review_cases["sizing"]), env=env(prices, tmp_path))
    assert result.returncode == 0, result.stderr
    # 70 * 730 / 168 * 0.23 = 69.96 (from 89.12: -19.16)
    assert "| `mdp-jhp-dev-weu` | 70 | 89.12 USD → 69.96 USD (-19.16) |" in result.stdout


def test_offline_says_the_price_is_unknown_and_asks_nothing(prices, tmp_path, example_synth, review_cases):
    result = run_mdpool(
        "review", "--offline", "--base", str(example_synth), "--head", str(review_cases["schedule"]), env=env(prices, tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "| `mdp-jhp-dev-weu` | 70 → 86 (+16) | unknown |" in result.stdout
    assert "offline, and no price of it was read before" in result.stdout
    assert prices.requests == []


def test_json_carries_the_estimate(prices, tmp_path, example_synth, review_cases):
    result = run_mdpool(
        "review", "--json", "--base", str(example_synth), "--head", str(review_cases["schedule"]), env=env(prices, tmp_path)
    )
    assert result.returncode == 0, result.stderr
    (entry,) = json_report(result.stdout, command="review")["standby_cost"]
    assert entry["pool"] == "mdp-jhp-dev-weu"
    assert (entry["base"]["weekly_agent_hours"], entry["head"]["weekly_agent_hours"]) == (70, 86)
    assert round(entry["head"]["monthly"]["high"], 2) == 109.49


def test_an_unreachable_price_list_leaves_the_review_whole(tmp_path, example_synth, review_cases):
    # The suite's default endpoint is a loopback port nothing listens on.
    result = run_mdpool("review", "--base", str(example_synth), "--head", str(review_cases["schedule"]))
    assert result.returncode == 0, result.stderr
    assert "| `mdp-jhp-dev-weu` | 70 → 86 (+16) | unknown |" in result.stdout


def _properties(buffers, sizes=("Standard_DS3_v2",), all_week=1):
    images = [{"wellKnownImageName": name, "buffer": buffer} for name, buffer in buffers]
    sku = {"name": sizes[0]} if len(sizes) == 1 else {"name": "Mix", "vmSizes": [{"name": size} for size in sizes]}
    return {
        "agentProfile": {
            "kind": "Stateless",
            "resourcePredictionsProfile": {"kind": "Manual"},
            "resourcePredictions": {"timeZone": "UTC", "daysData": [{"00:00:00": all_week}]},
        },
        "fabricProfile": {"sku": sku, "images": images},
    }


def _estimate(prices, tmp_path, properties):
    listing = PriceList(endpoint=prices.base_url, verify=prices.ca_path, cache=PriceCache(tmp_path / "c.json"))
    from mdpool.cost.estimate import well_known_os

    return pool_cost("p", "westeurope", properties, lambda image: well_known_os(image["wellKnownImageName"]), listing)


def test_standby_split_between_linux_and_windows_by_buffer(prices, tmp_path):
    # One agent all week (168 h = 730 h a month), half Linux, half Windows: 730 * (0.293 + 0.585) / 2 = 320.47.
    cost = _estimate(prices, tmp_path, _properties([("ubuntu-22.04/latest", "50"), ("windows-2022/latest", "50")]))
    assert cost.weekly_hours == 168 and round(cost.monthly[0], 2) == 320.47


def test_a_star_buffer_shares_equally(prices, tmp_path):
    cost = _estimate(prices, tmp_path, _properties([("ubuntu-22.04/latest", "*"), ("windows-2022/latest", "*")]))
    assert round(cost.monthly[0], 2) == 320.47


def test_a_star_buffer_takes_what_the_percentages_leave(prices, tmp_path):
    # Linux 50 %, the Windows image `*`: the other half. 730 * (0.5 * 0.293 + 0.5 * 0.585) = 320.47.
    cost = _estimate(prices, tmp_path, _properties([("ubuntu-22.04/latest", "50"), ("windows-2022/latest", "*")]))
    assert round(cost.monthly[0], 2) == 320.47


def test_an_image_with_no_standby_share_costs_nothing(prices, tmp_path):
    cost = _estimate(prices, tmp_path, _properties([("ubuntu-22.04/latest", "100"), ("windows-2022/latest", "0")]))
    assert round(cost.monthly[0], 2) == round(730 * DS3_LINUX, 2)


def test_an_instance_mix_is_a_range_from_the_cheapest_to_the_dearest_size(prices, tmp_path):
    cost = _estimate(prices, tmp_path, _properties([("ubuntu-22.04/latest", "*")], sizes=("Standard_DS3_v2", "Standard_D4s_v3")))
    assert [round(value, 2) for value in cost.monthly] == [round(730 * D4S_LINUX, 2), round(730 * DS3_LINUX, 2)]


def test_an_image_of_unknown_os_makes_the_cost_unknown(prices, tmp_path):
    cost = _estimate(prices, tmp_path, _properties([("macos-14", "*")]))
    assert cost.monthly is None and "OS of pool image" in cost.note
