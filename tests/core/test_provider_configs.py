"""The azurerm provider's own acceptance-test pools, written as mdpool configs, validate and synthesize
to the settings the provider's HCL gives (managed_devops_pool_resource_test.go in
hashicorp/terraform-provider-azurerm, internal/services/manageddevopspools/).

The expected values below are copied from that HCL, not from mdpool's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.config import load_config
from tests.conftest import run_mdpool

PROVIDER_CONFIGS = Path(__file__).parent / "configs" / "provider"
NAMES = ("basic", "complete", "complete_without_network", "complete_with_permission")
PLATFORM_IMAGE = ("/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Compute/locations/westeurope"
                  "/publishers/Canonical/artifactTypes/vmImage/offers/0001-com-ubuntu-server-jammy/skus/22_04-lts"
                  "/versions/22.04.202501010")


@pytest.fixture(scope="session")
def provider_pools(tmp_path_factory, example_synth) -> dict[str, dict]:
    """Each provider config synthesized once per session (example_synth first: the bindings load once)."""
    from mdpool.synth import synthesize

    pools = {}
    for name in NAMES:
        out = tmp_path_factory.mktemp(f"provider-{name}") / "cdktf.out"
        synthesize(load_config(PROVIDER_CONFIGS / f"{name}.yaml"), out)
        stack = json.loads((out / "stacks" / "pool-acc" / "cdk.tf.json").read_text())
        (pool,) = stack["resource"]["azurerm_managed_devops_pool"].values()
        pools[name] = {"pool": pool, "stack": stack}
    return pools


@pytest.mark.parametrize("name", NAMES)
def test_validates_without_errors(name):
    result = run_mdpool("validate", "--config", str(PROVIDER_CONFIGS / f"{name}.yaml"))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    # The provider's complete test puts drive letter F on Ubuntu images: at most a warning, never an error.
    for line in result.stderr.splitlines():
        assert ": warning: " in line, line


def test_basic(provider_pools):
    pool = provider_pools["basic"]["pool"]
    assert pool["maximum_concurrency"] == 1
    assert pool["azure_devops_organization"]["organization"] == [{"parallelism": 1, "url": "https://dev.azure.com/acctest-org"}]
    assert "stateless_agent" in pool and "stateful_agent" not in pool
    fabric = pool["virtual_machine_scale_set_fabric"]
    assert fabric["sku_name"] == "Standard_B1s"
    assert fabric["image"] == [{"buffer": "*", "well_known_image_name": "ubuntu-24.04/latest"}]


@pytest.mark.parametrize("name", ["complete", "complete_without_network", "complete_with_permission"])
def test_complete(provider_pools, name):
    pool = provider_pools[name]["pool"]
    assert pool["maximum_concurrency"] == 2
    assert pool["work_folder"] == "D:\\a\\_work"
    assert pool["azure_devops_organization"]["organization"] == [
        {"parallelism": 2, "url": "https://dev.azure.com/acctest-org-updated", "projects": ["acctest-project"]}]
    agent = pool["stateful_agent"]
    assert agent["grace_period_time_span"] == "00:10:00"
    assert agent["maximum_agent_lifetime"] == "08:00:00"
    prediction = agent["manual_resource_prediction"]
    assert prediction["time_zone_name"] == "UTC-11"
    day = [{"count": 1, "time": "09:00:00"}, {"count": 0, "time": "17:00:00"}]
    assert prediction["monday_schedule"] == day and prediction["tuesday_schedule"] == day
    assert not any(f"{other}_schedule" in prediction for other in ("sunday", "wednesday", "thursday", "friday", "saturday"))
    fabric = pool["virtual_machine_scale_set_fabric"]
    assert fabric["image"] == [
        {"id": PLATFORM_IMAGE, "aliases": ["marketplace image"], "buffer": "0"},
        {"aliases": ["well known image", "22.04 version"], "well_known_image_name": "ubuntu-24.04/latest", "buffer": "100"},
    ]
    assert fabric["sku_name"] == "Standard_B1ms"
    assert fabric["os_disk_storage_account_type"] == "Standard"
    assert fabric["storage"] == {"caching": "ReadOnly", "disk_size_in_gb": 10, "drive_letter": "F",
                                 "storage_account_type": "Standard_LRS"}
    assert fabric["security"] == {"interactive_logon_enabled": True, "key_vault_management": {
        "certificate_store_location": "/", "certificate_store_name": "My", "key_export_enabled": False,
        "key_vault_certificate_ids": ["https://acctestkeyvault.vault.azure.net/secrets/acctestcert"]}}
    assert pool["tags"] == {"Environment": "ppe", "Project": "Terraform"}
    identity = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/acctestrg/providers"
                "/Microsoft.ManagedIdentity/userAssignedIdentities/acctestuami")
    assert pool["identity"] == {"type": "UserAssigned", "identity_ids": [identity]}
    permission = pool["azure_devops_organization"]["permission"]
    if name == "complete_with_permission":
        assert permission == {"kind": "SpecificAccounts", "administrator_account": {"users": ["admin@acctest.example"]}}
    else:
        assert permission == {"kind": "CreatorOnly"}
    if name == "complete_without_network":
        assert "subnet_id" not in fabric
    else:
        assert fabric["subnet_id"].startswith("${azurerm_subnet.")
        resources = provider_pools[name]["stack"]["resource"]
        (vnet,) = resources["azurerm_virtual_network"].values()
        (subnet,) = resources["azurerm_subnet"].values()
        assert vnet["address_space"] == ["10.0.0.0/16"]
        assert subnet["address_prefixes"] == ["10.0.2.0/24"]
        assert subnet["delegation"][0]["service_delegation"]["name"] == "Microsoft.DevOpsInfrastructure/pools"
