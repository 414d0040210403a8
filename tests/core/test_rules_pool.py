"""The pool rules of API 2026-06-02: each refused with its line, each accepted at the limit."""

from __future__ import annotations

import pytest

from mdpool.loader import load_config
from tests.core.test_config_rules import problems_of, write

STORAGE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/"
SCRIPT = {"storage_account_id": STORAGE + "abc", "entry_point": "setup.sh"}


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"pool.instance_mix": ["Standard_D2ads_v5", "Standard_D4ads_v5"]},
            "pool.sku: give either `sku` (one VM size) or `instance_mix` (several), not both",
        ),
        (
            {"pool.sku": None, "pool.instance_mix": ["Standard_D2ads_v5", "standard_d2ads_v5"]},
            "pool.instance_mix[1]: VM size 'standard_d2ads_v5' is already listed at instance_mix[0]; each size once",
        ),
        (  # VM size names compare ignoring case, whichever is written first
            {"pool.sku": None, "pool.instance_mix": ["standard_d2ads_v5", "Standard_D2ads_v5"]},
            "pool.instance_mix[1]: VM size 'Standard_D2ads_v5' is already listed at instance_mix[0]; each size once",
        ),
        (
            {"pool.images[0].provisioning_script": {**SCRIPT, "storage_account_id": STORAGE + "ab"}},
            "pool.images[0].provisioning_script.storage_account_id: '" + STORAGE + "ab' is not a storage account id",
        ),
        (
            {"pool.images[0].provisioning_script": {**SCRIPT, "storage_account_id": STORAGE + "a" * 25}},
            "is not a storage account id",
        ),
        (
            {"pool.images[0].provisioning_script": {**SCRIPT, "storage_account_id": "/subscriptions/x/storageAccounts/abc"}},
            "is not a storage account id",
        ),
        (
            {"pool.images[0].ephemeral": "OsDisk"},
            "pool.images[0].ephemeral: 'OsDisk' is not allowed; allowed: 'Automatic', 'CacheDisk' or 'ResourceDisk'",
        ),
        (
            {"pool.images[0].provisioning_script": {**SCRIPT, "identity_client_id": "not-a-guid"}},
            "pool.images[0].provisioning_script.identity_client_id: must be a GUID",
        ),
        ({"pool.network": {"new": {}, "static_ip_count": -1}}, "pool.network.static_ip_count: "),
        ({"pool.network": {"new": {}, "static_ip_count": 2**31}}, "pool.network.static_ip_count: "),
        ({"pool.organizations[0].open_access": "yes"}, "pool.organizations[0].open_access: "),
    ],
)
def test_refused(tmp_path, changes, expected):
    if changes.get("pool.sku", "") is None:
        changes = {k: v for k, v in changes.items() if k != "pool.sku"}
        from tests.core.test_config_rules import DELETE

        changes["pool.sku"] = DELETE
    found = problems_of(write(tmp_path, changes))
    assert any(expected in line for line in found), found
    assert all(":" in line.split(" ", 1)[0] for line in found)  # FILE:LINE: prefix


def test_accepted_at_the_limits(tmp_path):
    from tests.core.test_config_rules import DELETE

    config = load_config(
        write(
            tmp_path,
            {
                "pool.sku": DELETE,
                "pool.instance_mix": ["Standard_D2ads_v5", "Standard_E2ads_v5"],
                "pool.images[0].provisioning_script": {
                    **SCRIPT,
                    "storage_account_id": STORAGE + "a" * 24,
                    "identity_client_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "restart": False,
                },
                "pool.images[1].provisioning_script": {**SCRIPT, "storage_account_id": STORAGE + "abc"},
                "pool.images[0].ephemeral": "CacheDisk",
                "pool.network": {"new": {}, "static_ip_count": 2**31 - 1},
                "pool.organizations[0].open_access": False,
                "pool.organizations[0].alias": "main",
                "pool.description": "Build agents",
            },
        )
    )
    assert config.pool.instance_mix == ["Standard_D2ads_v5", "Standard_E2ads_v5"]
    assert config.pool.network.static_ip_count == 2**31 - 1
    config = load_config(write(tmp_path, {"pool.network": {"new": {}, "static_ip_count": 0}}))
    assert config.pool.network.static_ip_count == 0


GITHUB = {"organizations": [{"url": "https://github.com/acme", "repositories": ["app"]}]}


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"pool.github": GITHUB},
            "pool.organizations: give `organizations` (Azure DevOps) or `github` (GitHub organizations); a pool serves one",
        ),
        ({"pool.organizations": []}, "pool.organizations: give `organizations` (Azure DevOps) or `github`"),
        (
            {"pool.organizations": [], "pool.github": GITHUB, "pool.permission": {"kind": "Inherit"}},
            "pool.permission: applies to Azure DevOps organizations only; a GitHub pool has none",
        ),
        (
            {"pool.organizations": [], "pool.github": GITHUB, "pool.description": "x"},
            "pool.description: applies to Azure DevOps organizations only",
        ),
        ({"pool.organizations": [], "pool.github": {"organizations": []}}, "pool.github.organizations: "),
        (
            {"pool.organizations": [], "pool.github": {"organizations": [{"url": "http://github.com/acme"}]}},
            "pool.github.organizations[0].url: ",
        ),
    ],
)
def test_github_refused(tmp_path, changes, expected):
    found = problems_of(write(tmp_path, changes))
    assert any(expected in line for line in found), found


def test_a_github_pool_is_accepted(tmp_path):
    config = load_config(write(tmp_path, {"pool.organizations": [], "pool.github": GITHUB}))
    assert config.pool.github.organizations[0].repositories == ["app"]


def test_static_addresses_need_no_subnet(tmp_path):
    # devopsinfrastructure 2026-06-02 NetworkProfile: subnetId and staticIpAddressCount are both optional
    from mdpool.constructs.pool_body import fabric_profile

    config = load_config(write(tmp_path, {"pool.network": {"static_ip_count": 2}}))
    assert config.pool.network.joins_subnet is False
    fabric = fabric_profile(config.pool, {"ubuntu-22.04": "/gallery/images/ubuntu-22.04"}, None)
    assert fabric["networkProfile"] == {"staticIpAddressCount": 2}


def test_a_subnet_given_twice_is_refused(tmp_path):
    subnet = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
    (problem,) = problems_of(write(tmp_path, {"pool.network": {"subnet_id": subnet, "new": {}}}))
    assert "pool.network: give at most one of `subnet_id` (existing) or `new`" in problem


def test_static_addresses_alone_synthesize_without_a_network(tmp_path, example_synth):  # bindings loaded once
    import json

    from mdpool.synth import synthesize

    config = load_config(write(tmp_path, {"pool.network": {"static_ip_count": 2}}))
    synthesize(config, tmp_path / "out")
    stack = json.loads((tmp_path / "out" / "stacks" / "pool-dev" / "cdk.tf.json").read_text())
    assert "azurerm_virtual_network" not in stack["resource"] and "azurerm_subnet" not in stack["resource"]
    (pool,) = stack["resource"]["azapi_resource"].values()
    assert pool["body"]["properties"]["fabricProfile"]["networkProfile"] == {"staticIpAddressCount": 2}
    assert stack["output"]["static_ip_addresses"]["value"].endswith(".output.ip_addresses}")
