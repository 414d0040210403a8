"""Prices through the real azure-core pipeline, over HTTPS, from the loopback Retail Prices stand-in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest

from mdpool.cost.prices import CACHE_LIFETIME, HourlyPrice, PriceCache, PriceList, UnknownPrice
from tests.support.prices_standin import PricesStandIn, meter

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def prices(tmp_path):
    standin = PricesStandIn(tmp_path, page_size=2)
    standin.publish(
        meter("westeurope", "Standard_DS3_v2", 0.40, type_="DevTestConsumption"),
        meter("westeurope", "Standard_DS3_v2", 0.293),
        meter("westeurope", "Standard_DS3_v2", 0.585, windows=True),
        # the discounted kinds come after the pay-as-you-go meters: whatever the order, they are never taken
        meter("westeurope", "Standard_DS3_v2", 0.25, kind="Spot"),
        meter("westeurope", "Standard_DS3_v2", 0.30, kind="Low Priority"),
        meter("westeurope", "Standard_DS3_v2", 0.31, windows=True, kind="Low Priority"),
        meter("northeurope", "Standard_DS3_v2", 0.1),
        meter("westeurope", "Standard_D2ads_v5", 0.12),
    )
    yield standin
    standin.stop()


def price_list(prices, tmp_path, **kwargs):
    cache = kwargs.pop("cache", None) or PriceCache(tmp_path / "cache" / "prices.json")
    return PriceList(endpoint=prices.base_url, verify=prices.ca_path, cache=cache, now=kwargs.pop("now", NOW), **kwargs)


def test_pay_as_you_go_linux_and_windows_prices_across_pages(prices, tmp_path):
    found = price_list(prices, tmp_path).price("westeurope", "Standard_DS3_v2")
    assert isinstance(found, HourlyPrice)
    assert (found.linux, found.windows, found.currency, found.cached) == (0.293, 0.585, "USD", False)
    # The filter asks for this region's size, pay-as-you-go; five meters match: three pages of two.
    assert len(prices.requests) == 3
    first = unquote(prices.requests[0])
    assert "armRegionName eq 'westeurope' and armSkuName eq 'Standard_DS3_v2' and priceType eq 'Consumption'" in first


def test_a_size_asked_twice_is_asked_once(prices, tmp_path):
    listing = price_list(prices, tmp_path)
    listing.price("westeurope", "Standard_D2ads_v5")
    listing.price("westeurope", "Standard_D2ads_v5")
    assert len(prices.requests) == 1


def test_a_fresh_cache_answers_without_a_request_and_a_stale_one_is_read_again(prices, tmp_path):
    cache_file = tmp_path / "cache" / "prices.json"
    price_list(prices, tmp_path).price("westeurope", "Standard_D2ads_v5")
    assert len(prices.requests) == 1
    within = price_list(prices, tmp_path, cache=PriceCache(cache_file), now=NOW + CACHE_LIFETIME)
    assert within.price("westeurope", "Standard_D2ads_v5").cached
    assert len(prices.requests) == 1
    stale = price_list(prices, tmp_path, cache=PriceCache(cache_file), now=NOW + CACHE_LIFETIME + timedelta(seconds=1))
    assert not stale.price("westeurope", "Standard_D2ads_v5").cached
    assert len(prices.requests) == 2


def test_offline_uses_a_cached_price_of_any_age_and_asks_nothing(prices, tmp_path):
    cache_file = tmp_path / "cache" / "prices.json"
    price_list(prices, tmp_path).price("westeurope", "Standard_D2ads_v5")
    later = price_list(prices, tmp_path, cache=PriceCache(cache_file), now=NOW + timedelta(days=90), offline=True)
    found = later.price("westeurope", "Standard_D2ads_v5")
    assert isinstance(found, HourlyPrice) and found.cached and found.linux == 0.12
    unknown = later.price("westeurope", "Standard_DS3_v2")
    assert isinstance(unknown, UnknownPrice) and "offline" in unknown.reason
    assert len(prices.requests) == 1


def test_a_failing_price_list_makes_the_price_unknown_not_the_command_fail(prices, tmp_path):
    prices.fail_with = 503
    found = price_list(prices, tmp_path).price("westeurope", "Standard_DS3_v2")
    assert isinstance(found, UnknownPrice) and "did not answer" in found.reason
    assert not (tmp_path / "cache" / "prices.json").exists()  # nothing unknown is cached


def test_a_size_the_list_does_not_price_is_unknown(prices, tmp_path):
    found = price_list(prices, tmp_path).price("westeurope", "Standard_X1")
    assert isinstance(found, UnknownPrice) and "no pay-as-you-go price" in found.reason


def test_a_quote_in_a_size_stays_inside_the_filter_literal(prices, tmp_path):
    found = price_list(prices, tmp_path).price("westeurope", "Standard_D2ads_v5' or armSkuName eq 'Standard_DS3_v2")
    assert isinstance(found, UnknownPrice)  # the stand-in evaluated one literal, which names no size
    # OData doubles a quote inside a string literal
    assert "armSkuName eq 'Standard_D2ads_v5'' or armSkuName eq ''Standard_DS3_v2'" in unquote(prices.requests[0])


def test_the_endpoint_override_must_be_https(monkeypatch):
    monkeypatch.setenv("MDPOOL_PRICES_ENDPOINT", "http://127.0.0.1:1")
    with pytest.raises(ValueError, match="https"):
        PriceList.from_environment()


def test_a_corrupt_or_foreign_cache_is_ignored_and_replaced(prices, tmp_path):
    cache_file = tmp_path / "cache" / "prices.json"
    cache_file.parent.mkdir()
    cache_file.write_text("{not json", encoding="utf-8")
    found = price_list(prices, tmp_path, cache=PriceCache(cache_file)).price("westeurope", "Standard_D2ads_v5")
    assert isinstance(found, HourlyPrice)
    assert '"mdpool-price-cache": 1' in cache_file.read_text(encoding="utf-8")


def test_a_cache_that_is_a_symlink_is_neither_read_nor_written_through(prices, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("keep", encoding="utf-8")
    cache_file = tmp_path / "cache" / "prices.json"
    cache_file.parent.mkdir()
    cache_file.symlink_to(target)
    price_list(prices, tmp_path, cache=PriceCache(cache_file)).price("westeurope", "Standard_D2ads_v5")
    assert target.read_text(encoding="utf-8") == "keep"
    assert cache_file.is_symlink()  # the user's link stays as it was
