"""Every pool capability the config offers reaches the synthesized JSON (beyond the blog's example)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.loader import load_config
from mdpool.synth import synthesize

CONFIG = Path(__file__).parent / "configs" / "full.yaml"


@pytest.fixture(scope="module")
def full(tmp_path_factory, example_synth):  # example_synth first: the bindings are loaded once
    out = tmp_path_factory.mktemp("full") / "cdktf.out"
    synthesize(load_config(CONFIG), out)
    return {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text()) for name in ("gallery-prod", "pool-prod")}


def test_shared_resource_group_is_created_once(full):
    assert list(full["gallery-prod"]["resource"]["azurerm_resource_group"].values())[0]["name"] == "rg-shared"
    assert "azurerm_resource_group" not in full["pool-prod"]["resource"]


def test_azurerm_backend_with_oidc_and_remote_state(full):
    backend = full["pool-prod"]["terraform"]["backend"]["azurerm"]
    assert backend == {
        "container_name": "tfstate",
        "key": "mdpool/pool-prod.tfstate",
        "resource_group_name": "rg-tfstate",
        "storage_account_name": "acmetfstate",
        "subscription_id": "00000000-0000-0000-0000-000000000000",
        "use_azuread_auth": True,
        "use_oidc": True,
    }
    remote = full["pool-prod"]["data"]["terraform_remote_state"]["cross-stack-reference-input-gallery-prod"]
    assert remote["backend"] == "azurerm" and remote["config"]["key"] == "mdpool/gallery-prod.tfstate"


def test_pool_capabilities(full):
    (pool,) = full["pool-prod"]["resource"]["azapi_resource"].values()
    assert pool["type"] == "Microsoft.DevOpsInfrastructure/pools@2026-06-02"
    properties = pool["body"]["properties"]
    assert properties["agentProfile"] == {
        "kind": "Stateless",
        "resourcePredictionsProfile": {"kind": "Manual"},
        "resourcePredictions": {"timeZone": "W. Europe Standard Time", "daysData": [{"00:00:00": 2}]},
    }
    organizations = properties["organizationProfile"]
    assert organizations["organizations"] == [
        {
            "parallelism": 15,
            "projects": ["a", "b"],
            "url": "https://dev.azure.com/acme",
            "openAccess": True,
            "alias": "acme-main",
        },
        {"parallelism": 5, "url": "https://dev.azure.com/acme-two"},
    ]
    assert organizations["permissionProfile"] == {
        "kind": "SpecificAccounts",
        "groups": ["build-admins@acme.example"],
        "users": ["ops@acme.example"],
    }
    assert organizations["description"] == "Build agents of the acme teams"
    fabric = properties["fabricProfile"]
    assert fabric["sku"] == {"name": "Standard_D4ads_v5"}
    assert fabric["storageProfile"] == {
        "osDiskStorageAccountType": "Premium",
        "dataDisks": [{"caching": "ReadOnly", "diskSizeGiB": 128, "driveLetter": "F", "storageAccountType": "Premium_LRS"}],
    }
    assert fabric["osProfile"] == {
        "logonType": "Interactive",
        "secretsManagementSettings": {
            "certificateStoreLocation": "LocalMachine",
            "certificateStoreName": "My",
            "keyExportable": False,
            "observedCertificates": ["https://kv-acme.vault.azure.net/secrets/agent-cert"],
        },
    }
    gallery, well_known = fabric["images"]
    assert gallery["resourceId"].endswith("}/versions/1.2.3") and gallery["buffer"] == "*"
    assert gallery["ephemeralType"] == "ResourceDisk"
    assert well_known == {
        "buffer": "*",
        "wellKnownImageName": "windows-2025/latest",
        "provisioningScriptStorageAccountResourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/"
        "resourceGroups/rg-scripts/providers/Microsoft.Storage/storageAccounts/acmescripts",
        "provisioningScriptEntryPoint": "scripts/setup-agent.ps1",
        "provisioningScriptManagedIdentityClientId": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "provisioningScriptShouldRestart": True,
    }
    assert fabric["networkProfile"]["subnetId"].startswith("${azurerm_subnet.")
    assert fabric["networkProfile"]["staticIpAddressCount"] == 2
    assert pool["identity"] == [
        {
            "type": "UserAssigned",
            "identity_ids": [
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-id/providers/"
                "Microsoft.ManagedIdentity/userAssignedIdentities/id-agents"
            ],
        }
    ]
    assert properties["runtimeConfiguration"] == {"workFolder": "D:\\work"}
    # The pool waits for the service's rights on the VNet.
    assert len(pool["depends_on"]) == 2 and all("azurerm_role_assignment." in d for d in pool["depends_on"])
    # The service fills in the static addresses: read back, never written, and a stack output.
    assert "ipAddresses" not in fabric["networkProfile"]
    assert full["pool-prod"]["output"]["static_ip_addresses"]["value"] == ("${azapi_resource.pool_8FF6099E.output.ip_addresses}")


def test_pinned_gallery_version_is_guarded(full):
    (pool,) = full["pool-prod"]["resource"]["azapi_resource"].values()
    (guard,) = pool["lifecycle"]["precondition"]
    lists = full["pool-prod"]["data"]["azapi_resource_list"]
    (versions_address,) = [address for address, data in lists.items() if data["type"].endswith("/versions@2024-03-03")]
    assert guard["condition"] == (f'${{contains(data.azapi_resource_list.{versions_address}.output.succeeded, "1.2.3")}}')
    assert guard["error_message"].startswith("gallery image win-2022 has no Succeeded version 1.2.3 yet; run ")


def test_new_network_is_delegated_and_granted(full):
    resources = full["pool-prod"]["resource"]
    (subnet,) = resources["azurerm_subnet"].values()
    assert subnet["address_prefixes"] == ["10.20.0.0/26"]
    assert subnet["delegation"][0]["service_delegation"]["name"] == "Microsoft.DevOpsInfrastructure/pools"
    (vnet,) = resources["azurerm_virtual_network"].values()
    assert vnet["name"] == "vnet-acme-pool-prod-sdc" and vnet["address_space"] == ["10.20.0.0/24"]
    roles = sorted(a["role_definition_name"] for a in resources["azurerm_role_assignment"].values())
    assert roles == ["Network Contributor", "Reader"]
    assert all(a["scope"].startswith("${azurerm_virtual_network.") for a in resources["azurerm_role_assignment"].values())
