"""The azurerm provider's own acceptance-test pools, written as mdpool configs, validate and synthesize
to the settings the provider's HCL gives, in the API words the provider maps them to (managed_devops_pool_resource_test.go in
hashicorp/terraform-provider-azurerm, internal/services/manageddevopspools/).

The expected values below are copied from that HCL, not from mdpool's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.loader import load_config
from tests.conftest import run_mdpool

PROVIDER_CONFIGS = Path(__file__).parent / "configs" / "provider"
NAMES = ("basic", "complete", "complete_without_network", "complete_with_permission")
PLATFORM_IMAGE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Compute/locations/westeurope"
    "/publishers/Canonical/artifactTypes/vmImage/offers/0001-com-ubuntu-server-jammy/skus/22_04-lts"
    "/versions/22.04.202501010"
)


@pytest.fixture(scope="session")
def provider_pools(tmp_path_factory, example_synth) -> dict[str, dict]:
    """Each provider config synthesized once per session (example_synth first: the bindings load once)."""
    from mdpool.synth import synthesize

    pools = {}
    for name in NAMES:
        out = tmp_path_factory.mktemp(f"provider-{name}") / "cdktf.out"
        synthesize(load_config(PROVIDER_CONFIGS / f"{name}.yaml"), out)
        stack = json.loads((out / "stacks" / "pool-acc" / "cdk.tf.json").read_text())
        (pool,) = stack["resource"]["azapi_resource"].values()
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
    properties = pool["body"]["properties"]
    assert properties["maximumConcurrency"] == 1
    assert properties["organizationProfile"]["organizations"] == [{"parallelism": 1, "url": "https://dev.azure.com/acctest-org"}]
    assert properties["agentProfile"]["kind"] == "Stateless"
    fabric = properties["fabricProfile"]
    assert fabric["sku"] == {"name": "Standard_B1s"}
    assert fabric["images"] == [{"buffer": "*", "wellKnownImageName": "ubuntu-24.04/latest"}]


# The HCL's attributes in the API's words: the provider maps them one to one in helpers.go
# (expandAgentProfileModel, expandResourcePredictionsModel, expandVmssFabricProfileModel, ...).
@pytest.mark.parametrize("name", ["complete", "complete_without_network", "complete_with_permission"])
def test_complete(provider_pools, name):
    pool = provider_pools[name]["pool"]
    properties = pool["body"]["properties"]
    assert properties["maximumConcurrency"] == 2
    assert properties["runtimeConfiguration"] == {"workFolder": "D:\\a\\_work"}
    organizations = properties["organizationProfile"]
    assert organizations["organizations"] == [
        {"parallelism": 2, "url": "https://dev.azure.com/acctest-org-updated", "projects": ["acctest-project"]}
    ]
    agent = properties["agentProfile"]
    assert agent["kind"] == "Stateful"
    assert agent["gracePeriodTimeSpan"] == "00:10:00"
    assert agent["maxAgentLifetime"] == "08:00:00"
    assert agent["resourcePredictionsProfile"] == {"kind": "Manual"}
    prediction = agent["resourcePredictions"]
    assert prediction["timeZone"] == "UTC-11"
    day = {"09:00:00": 1, "17:00:00": 0}
    # daysData starts on Sunday: Monday and Tuesday are the 2nd and 3rd maps, every other day is empty
    assert prediction["daysData"] == [{}, day, day, {}, {}, {}, {}]
    fabric = properties["fabricProfile"]
    assert fabric["images"] == [
        {"resourceId": PLATFORM_IMAGE, "aliases": ["marketplace image"], "buffer": "0"},
        {"aliases": ["well known image", "22.04 version"], "wellKnownImageName": "ubuntu-24.04/latest", "buffer": "100"},
    ]
    assert fabric["sku"] == {"name": "Standard_B1ms"}
    assert fabric["storageProfile"] == {
        "osDiskStorageAccountType": "Standard",
        "dataDisks": [{"caching": "ReadOnly", "diskSizeGiB": 10, "driveLetter": "F", "storageAccountType": "Standard_LRS"}],
    }
    assert fabric["osProfile"] == {
        "logonType": "Interactive",
        "secretsManagementSettings": {
            "certificateStoreLocation": "/",
            "certificateStoreName": "My",
            "keyExportable": False,
            "observedCertificates": ["https://acctestkeyvault.vault.azure.net/secrets/acctestcert"],
        },
    }
    assert pool["tags"] == {"Environment": "ppe", "Project": "Terraform"}
    identity = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/acctestrg/providers"
        "/Microsoft.ManagedIdentity/userAssignedIdentities/acctestuami"
    )
    assert pool["identity"] == [{"type": "UserAssigned", "identity_ids": [identity]}]
    permission = organizations["permissionProfile"]
    if name == "complete_with_permission":
        assert permission == {"kind": "SpecificAccounts", "users": ["admin@acctest.example"]}
    else:
        assert permission == {"kind": "CreatorOnly"}
    if name == "complete_without_network":
        assert "networkProfile" not in fabric
    else:
        assert fabric["networkProfile"]["subnetId"].startswith("${azurerm_subnet.")
        resources = provider_pools[name]["stack"]["resource"]
        (vnet,) = resources["azurerm_virtual_network"].values()
        (subnet,) = resources["azurerm_subnet"].values()
        assert vnet["address_space"] == ["10.0.0.0/16"]
        assert subnet["address_prefixes"] == ["10.0.2.0/24"]
        assert subnet["delegation"][0]["service_delegation"]["name"] == "Microsoft.DevOpsInfrastructure/pools"
