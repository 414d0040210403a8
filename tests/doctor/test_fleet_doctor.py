"""doctor on a fleet: every pool's name, resource group, sizes, organizations and gallery images are
checked, not only the first pool's (config/fleet.yaml, through the stand-ins and the real SDK stack)."""

from __future__ import annotations

import yaml

from mdpool.doctor.checks.permissions import needed
from mdpool.doctor.runner import run_checks
from mdpool.loader import load_config
from tests.conftest import REPO
from tests.doctor.conftest import ORGANIZATION, SUBSCRIPTION, write_config
from tests.support.doctor_standin import compute_sku, mdp_sku

SUB = f"/subscriptions/{SUBSCRIPTION}"


def rows(cfg, endpoints):
    return {r.check: r for r in run_checks(cfg, endpoints)}


def fleet(tmp_path, edit=lambda data: None):
    """config/fleet.yaml's two pools (linux on Standard_DS3_v2, windows on Standard_D8ads_v5)."""
    source = yaml.safe_load((REPO / "config" / "fleet.yaml").read_text())

    def change(data):
        del data["pool"]
        data["pool_defaults"], data["pools"] = source["pool_defaults"], source["pools"]
        edit(data)

    return load_config(write_config(tmp_path, change))


def offer_both_sizes(azure):
    azure.mdp_skus.append(mdp_sku("Standard_D8ads_v5", "standardDADSv5Family"))
    azure.compute_skus.append(compute_sku("Standard_D8ads_v5", "standardDADSv5Family", 8))


def test_each_pool_name_is_asked_for_and_only_the_taken_one_fails(tmp_path, endpoints, azure, arm):
    cfg = fleet(tmp_path)
    linux, windows = (cfg.names.for_pool(pool) for pool in cfg.pools)
    azure.taken_pool_names.add(windows.pool)
    found = rows(cfg, endpoints)
    assert found["pool-name@linux"].status == "ok"
    assert found["pool-name@windows"].status == "failed"
    assert windows.pool in found["pool-name@windows"].message
    assert found["pool-name@windows"].fix.startswith("set pools[1].pool_name in the config to another name")
    asked = [request.body["name"] for request in arm.requests_matching("POST", "checkNameAvailability")]
    assert sorted(asked) == sorted([linux.pool, windows.pool])
    assert "pool-name" not in found


def test_a_pool_that_exists_is_ours_in_its_own_resource_group(tmp_path, endpoints, azure, arm):
    cfg = fleet(tmp_path)
    windows = cfg.names.for_pool(cfg.pools[1])
    azure.taken_pool_names.add(windows.pool)
    azure.our_pools.add((windows.resource_group, windows.pool))
    result = rows(cfg, endpoints)["pool-name@windows"]
    assert (result.status, result.message) == (
        "ok",
        f"pool {windows.pool} already exists in {windows.resource_group} (ours): the deploy updates it",
    )


def test_every_pools_size_is_offered(tmp_path, endpoints, azure):
    cfg = fleet(tmp_path)
    found = rows(cfg, endpoints)  # the stand-in offers Standard_DS3_v2 but not Standard_D8ads_v5
    assert found["pool-sku:Standard_DS3_v2"].status == "ok"
    assert found["pool-sku:Standard_D8ads_v5"].status == "failed"
    assert found["pool-sku:Standard_D8ads_v5"].message.startswith("the pools' VM size Standard_D8ads_v5 is not offered")
    offer_both_sizes(azure)
    assert rows(cfg, endpoints)["pool-sku:Standard_D8ads_v5"].status == "ok"


def test_one_size_shared_by_every_pool_is_one_row(tmp_path, endpoints, azure):
    def same_size(data):
        data["pools"][1]["sku"] = "standard_ds3_v2"  # the same size, written in another case

    found = rows(fleet(tmp_path, same_size), endpoints)
    assert found["pool-sku"].status == "ok" and not [check for check in found if check.startswith("pool-sku:")]


def test_every_pools_resource_group_needs_the_pool_rights(tmp_path, endpoints, azure):
    cfg = fleet(tmp_path)
    linux, windows = (cfg.names.for_pool(pool) for pool in cfg.pools)
    scopes = needed(cfg)
    assert {linux.resource_group, windows.resource_group} <= set(scopes)
    assert "Microsoft.DevOpsInfrastructure/pools/write" in scopes[windows.resource_group]
    # the windows pool's group exists and its rights leave out pools: that pool's stack would fail
    azure.resource_groups.add(windows.resource_group)
    azure.permissions[f"{SUB}/resourceGroups/{windows.resource_group}".lower()] = [
        {"actions": ["*"], "notActions": ["Microsoft.DevOpsInfrastructure/pools/write"]}
    ]
    result = rows(cfg, endpoints)["permissions"]
    assert result.status == "failed"
    assert result.message == (
        f"the deploying identity may not: Microsoft.DevOpsInfrastructure/pools/write on resource group {windows.resource_group}"
    )


def test_an_organization_only_the_second_pool_serves_is_checked(tmp_path, endpoints, devops):
    devops.add_organization("windows-org", member=False)

    def second_org(data):
        data["pools"][1]["organizations"] = [{"name": "windows-org"}]

    found = rows(fleet(tmp_path, second_org), endpoints)
    assert found[f"devops:{ORGANIZATION}"].status == "ok"
    assert found["devops:windows-org"].status == "failed"


def test_an_organization_both_pools_serve_is_one_row(tmp_path, endpoints, devops):
    def written_twice(data):  # the windows pool writes the organization itself, its URL in another case
        data["pools"][1]["organizations"] = [{"url": f"https://dev.azure.com/{ORGANIZATION.upper()}"}]

    found = [r.check for r in run_checks(fleet(tmp_path, written_twice), endpoints) if r.check.startswith("devops")]
    assert found == [f"devops:{ORGANIZATION}"]


def test_a_version_only_the_second_pool_pins_must_exist(tmp_path, endpoints, arm):
    def pinned(data):
        data["pools"][1]["images"][1]["version"] = "1.0.1"

    cfg = fleet(tmp_path, pinned)
    arm.add_image_version(cfg.names.gallery_image_id("ubuntu-22.04"), name="1.0.0")
    result = rows(cfg, endpoints)["gallery-images"]
    assert result.status == "failed"
    assert "ubuntu-22.04 has no version 1.0.1" in result.message
