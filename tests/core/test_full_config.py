"""Every pool capability the config offers reaches the synthesized JSON (beyond the blog's example)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdpool.config import load_config
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
    assert backend == {"container_name": "tfstate", "key": "mdpool/pool-prod.tfstate", "resource_group_name": "rg-tfstate",
                       "storage_account_name": "acmetfstate", "subscription_id": "00000000-0000-0000-0000-000000000000",
                       "use_azuread_auth": True, "use_oidc": True}
    remote = full["pool-prod"]["data"]["terraform_remote_state"]["cross-stack-reference-input-gallery-prod"]
    assert remote["backend"] == "azurerm" and remote["config"]["key"] == "mdpool/gallery-prod.tfstate"


def test_pool_capabilities(full):
    (pool,) = full["pool-prod"]["resource"]["azurerm_managed_devops_pool"].values()
    assert pool["stateless_agent"] == {"manual_resource_prediction": {
        "all_week_schedule": 2, "time_zone_name": "W. Europe Standard Time"}}
    assert pool["azure_devops_organization"]["organization"] == [
        {"parallelism": 15, "projects": ["a", "b"], "url": "https://dev.azure.com/acme"},
        {"parallelism": 5, "url": "https://dev.azure.com/acme-two"}]
    assert pool["azure_devops_organization"]["permission"] == {
        "kind": "SpecificAccounts", "administrator_account": {"groups": ["build-admins@acme.example"], "users": ["ops@acme.example"]}}
    fabric = pool["virtual_machine_scale_set_fabric"]
    assert fabric["os_disk_storage_account_type"] == "Premium"
    assert fabric["storage"] == {"caching": "ReadOnly", "disk_size_in_gb": 128, "drive_letter": "F",
                                 "storage_account_type": "Premium_LRS"}
    assert fabric["security"] == {"interactive_logon_enabled": True, "key_vault_management": {
        "certificate_store_location": "LocalMachine", "certificate_store_name": "My", "key_export_enabled": False,
        "key_vault_certificate_ids": ["https://kv-acme.vault.azure.net/secrets/agent-cert"]}}
    assert fabric["image"][0]["id"].endswith("}/versions/1.2.3") and fabric["image"][0]["buffer"] == "*"
    assert fabric["image"][1] == {"buffer": "*", "well_known_image_name": "windows-2025/latest"}
    assert fabric["subnet_id"].startswith("${azurerm_subnet.")
    assert pool["identity"]["type"] == "UserAssigned" and len(pool["identity"]["identity_ids"]) == 1
    assert pool["work_folder"] == "D:\\work"
    # The pool waits for the service's rights on the VNet.
    assert len(pool["depends_on"]) == 2 and all("azurerm_role_assignment." in d for d in pool["depends_on"])


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
