"""The synthesized example, resource by resource: the blog's environment in Terraform JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"


def stack(out: Path, name: str) -> dict:
    return json.loads((out / "stacks" / name / "cdk.tf.json").read_text())


def only(resources: dict, rtype: str) -> dict:
    (value,) = resources[rtype].values()
    return value


def by_name(resources: dict, rtype: str) -> dict[str, dict]:
    return {item["name"]: item for item in resources[rtype].values()}


@pytest.fixture(scope="module")
def gallery(example_synth):
    return stack(example_synth, "gallery-dev")


@pytest.fixture(scope="module")
def pool_stack(example_synth):
    return stack(example_synth, "pool-dev")


def test_manifest_orders_gallery_before_pool(example_synth):
    manifest = json.loads((example_synth / "manifest.json").read_text())
    assert set(manifest["stacks"]) == {"gallery-dev", "pool-dev"}
    assert manifest["stacks"]["pool-dev"]["dependencies"] == ["gallery-dev"]
    assert manifest["stacks"]["gallery-dev"]["dependencies"] == []


def test_gallery_and_definitions(gallery):
    resources = gallery["resource"]
    assert set(resources) == {
        "azurerm_resource_group",
        "azurerm_shared_image_gallery",
        "azurerm_shared_image",
        "azurerm_user_assigned_identity",
        "azurerm_role_definition",
        "azurerm_role_assignment",
    }
    group = only(resources, "azurerm_resource_group")
    assert group["name"] == "rg-jhp-images-dev-weu" and group["location"] == "westeurope"
    compute_gallery = only(resources, "azurerm_shared_image_gallery")
    assert compute_gallery["name"] == "gal_jhp_dev_weu"
    assert compute_gallery["description"] == "Shared image gallery for build agents"
    assert compute_gallery["lifecycle"] == {"prevent_destroy": True}
    definitions = by_name(resources, "azurerm_shared_image")
    assert set(definitions) == {"ubuntu-22.04", "ubuntu-24.04"}
    for name, sku in (("ubuntu-22.04", "22.04-LTS"), ("ubuntu-24.04", "24.04-LTS")):
        definition = definitions[name]
        assert definition["identifier"] == {"publisher": "JHP", "offer": "UbuntuServerPipelineAgent", "sku": sku}
        assert definition["os_type"] == "Linux"
        assert definition["architecture"] == "x64"
        assert definition["hyper_v_generation"] == "V2"
        assert definition["specialized"] is False
        assert definition["min_recommended_vcpu_count"] == 2
        assert definition["min_recommended_memory_in_gb"] == 4
        assert definition["description"] == ("Baseline image including build tools to be used for pipeline build agents")
        assert definition["lifecycle"] == {"prevent_destroy": True}
        assert definition["gallery_name"].startswith("${azurerm_shared_image_gallery.")


def test_builder_identity_and_least_privilege_role(gallery):
    resources = gallery["resource"]
    identity = only(resources, "azurerm_user_assigned_identity")
    assert identity["name"] == "id-jhp-imagebuilder-dev-weu"
    role = only(resources, "azurerm_role_definition")
    assert role["name"] == "[JHP] Azure Image Builder Service (dev)"
    assert role["permissions"] == [
        {
            "actions": [
                "Microsoft.Compute/galleries/read",
                "Microsoft.Compute/galleries/images/read",
                "Microsoft.Compute/galleries/images/versions/read",
                "Microsoft.Compute/galleries/images/versions/write",
                "Microsoft.Compute/images/write",
                "Microsoft.Compute/images/read",
                "Microsoft.Compute/images/delete",
            ]
        }
    ]
    # Defined and assignable at the gallery's resource group, not the subscription.
    assert role["scope"] == "${azurerm_resource_group.site_group_D7F35317.id}"
    assert role["assignable_scopes"] == [role["scope"]]


def test_role_assignments_are_scoped_to_the_gallery(gallery):
    assignments = list(gallery["resource"]["azurerm_role_assignment"].values())
    assert len(assignments) == 2
    gallery_ref = "${azurerm_shared_image_gallery.gallery_D8481575.id}"
    publish = next(a for a in assignments if "role_definition_id" in a)
    assert publish["scope"] == gallery_ref
    assert publish["principal_id"].endswith(".principal_id}") and "user_assigned_identity" in publish["principal_id"]
    assert publish["role_definition_id"].endswith(".role_definition_resource_id}")
    reader = next(a for a in assignments if a.get("role_definition_name") == "Reader")
    assert reader["scope"] == gallery_ref
    assert reader["principal_id"] == "11111111-1111-1111-1111-111111111111"
    assert reader["principal_type"] == "ServicePrincipal"


def test_provider_registers_what_pools_and_builds_need(gallery, pool_stack):
    for document in (gallery, pool_stack):
        (provider,) = document["provider"]["azurerm"]
        assert provider["subscription_id"] == "00000000-0000-0000-0000-000000000000"
        assert {"Microsoft.DevOpsInfrastructure", "Microsoft.DevCenter", "Microsoft.VirtualMachineImages"} <= set(
            provider["resource_providers_to_register"]
        )
        assert not {"client_secret", "client_certificate", "client_certificate_password"} & set(provider)


def test_outputs_for_image_builds(gallery):
    outputs = gallery["output"]
    assert {"resource_group", "location", "gallery_id", "image_definition_ids", "builder_identity_id"} <= set(outputs)
    assert set(outputs["image_definition_ids"]["value"]) == {"ubuntu-22.04", "ubuntu-24.04"}
    assert outputs["location"]["value"] == "westeurope"


def test_local_backends_are_relative(gallery, pool_stack):
    assert gallery["terraform"]["backend"] == {"local": {"path": "../../../state/gallery-dev.tfstate"}}
    assert pool_stack["terraform"]["backend"] == {"local": {"path": "../../../state/pool-dev.tfstate"}}
    remote = pool_stack["data"]["terraform_remote_state"]["cross-stack-reference-input-gallery-dev"]
    assert remote["backend"] == "local" and remote["config"] == {"path": "../../../state/gallery-dev.tfstate"}


def test_dev_center_and_project(pool_stack):
    resources = pool_stack["resource"]
    assert only(resources, "azurerm_dev_center")["name"] == "dc-jhp-dev-weu"
    project = only(resources, "azurerm_dev_center_project")
    assert project["name"] == "dcp-jhp-dev-weu"
    assert project["dev_center_id"].startswith("${azurerm_dev_center.")
    assert only(resources, "azurerm_resource_group")["name"] == "rg-jhp-pool-dev-weu"


def test_pool_is_the_blogs_pool(pool_stack):
    pool = only(pool_stack["resource"], "azapi_resource")
    assert pool["type"] == "Microsoft.DevOpsInfrastructure/pools@2026-06-02"
    assert pool["name"] == "mdp-jhp-dev-weu"
    assert pool["location"] == "westeurope"
    assert pool["parent_id"].startswith("${azurerm_resource_group.")
    properties = pool["body"]["properties"]
    assert properties["maximumConcurrency"] == 10
    assert properties["devCenterProjectResourceId"].startswith("${azurerm_dev_center_project.")
    assert properties["organizationProfile"] == {
        "kind": "AzureDevOps",
        "organizations": [{"parallelism": 10, "url": "https://dev.azure.com/your-organization"}],
        "permissionProfile": {"kind": "CreatorOnly"},
    }
    agent = properties["agentProfile"]
    assert agent["kind"] == "Stateful"
    assert agent["gracePeriodTimeSpan"] == "00:30:00"
    assert agent["maxAgentLifetime"] == "02:00:00"
    assert agent["resourcePredictionsProfile"] == {"kind": "Manual"}
    weekday = {"04:00:00": 1, "18:00:00": 0}
    # daysData starts on Sunday; a day the config leaves out is an empty map ("no change").
    assert agent["resourcePredictions"] == {"timeZone": "UTC", "daysData": [{}] + [weekday] * 5 + [{}]}

    fabric = properties["fabricProfile"]
    assert fabric["kind"] == "Vmss"
    assert fabric["sku"] == {"name": "Standard_DS3_v2"}
    assert fabric["osProfile"] == {"logonType": "Service"}
    assert fabric["storageProfile"] == {"osDiskStorageAccountType": "Standard"}
    assert "networkProfile" not in fabric
    images = fabric["images"]
    assert images[0] == {
        "aliases": ["ubuntu-22.04/latest", "ubuntu-latest"],
        "buffer": "100",
        "wellKnownImageName": "ubuntu-22.04/latest",
    }
    assert images[1] == {"aliases": ["windows-latest"], "buffer": "0", "wellKnownImageName": "windows-2022/latest"}
    assert images[2]["aliases"] == ["jhp-ubuntu-22.04/latest", "jhp-ubuntu/latest"]
    assert images[2]["buffer"] == "0"
    # The gallery definition crosses the stack boundary as a remote-state reference.
    assert images[2]["resourceId"].startswith("${data.terraform_remote_state.cross-stack-reference-input-gallery-dev.outputs.")
    assert images[2]["resourceId"].endswith("}/versions/latest")
    assert "wellKnownImageName" not in images[2]
    # What the service fills in is read back, not written.
    assert pool["response_export_values"] == {
        "ip_addresses": "properties.fabricProfile.networkProfile.ipAddresses",
        "provisioning_state": "properties.provisioningState",
    }


def test_pool_runs_on_the_azapi_provider(pool_stack):
    assert pool_stack["terraform"]["required_providers"]["azapi"] == {"source": "Azure/azapi", "version": "2.13.0"}
    assert pool_stack["provider"]["azapi"] == [{"subscription_id": "00000000-0000-0000-0000-000000000000"}]
    assert pool_stack["terraform"]["required_version"] == ">= 1.8.0"
    assert pool_stack["output"]["pool_id"]["value"] == "${azapi_resource.pool_8FF6099E.id}"
    assert "static_ip_addresses" not in pool_stack["output"]  # no static addresses asked for


def test_a_state_from_the_azurerm_pool_is_handed_over_on_the_chosen_api_version(pool_stack):
    # Same construct path, same logical id: the former azurerm pool is forgotten (not destroyed) and,
    # when mdpool sets the variable, imported with ?api-version=2026-06-02 (no `moved`: azapi's MoveState
    # would pick the newest, preview, API version). tests/deploy/test_pool_handover.py runs it on terraform.
    assert "moved" not in pool_stack
    assert pool_stack["removed"] == [{"from": "azurerm_managed_devops_pool.pool_8FF6099E", "lifecycle": {"destroy": False}}]
    pool_id = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-jhp-pool-dev-weu"
        "/providers/Microsoft.DevOpsInfrastructure/pools/mdp-jhp-dev-weu"
    )
    assert pool_stack["import"] == [
        {
            "for_each": f'${{toset(var.import_azurerm_pool ? ["{pool_id}?api-version=2026-06-02"] : [])}}',
            "to": "azapi_resource.pool_8FF6099E",
            "id": "${each.value}",
        }
    ]
    assert pool_stack["variable"]["import_azurerm_pool"]["default"] is False


def test_the_pool_create_retries_while_its_identity_propagates(pool_stack):
    # the pools Azure Verified Module's managed_devops_pool_retry_on_error, exactly
    pool = only(pool_stack["resource"], "azapi_resource")
    assert pool["retry"] == {
        "error_message_regex": [
            "Failed to provision agent pool. Exception: The logged in user,.*, was not found in the Azure DevOps organization provided,.*"
        ]
    }
    import re

    recorded = (
        "Failed to provision agent pool. Exception: The logged in user, 3f2a..., was not found in the Azure DevOps "
        "organization provided, https://dev.azure.com/contoso."
    )  # Managed DevOps Pools troubleshooting, PoolProvisioningFailed
    assert any(re.search(pattern, recorded) for pattern in pool["retry"]["error_message_regex"])
    assert not any(
        re.search(pattern, "Failed to provision agent pool. Exception: quota") for pattern in pool["retry"]["error_message_regex"]
    )


def test_the_versions_list_first_checks_that_the_gallery_has_the_definition(pool_stack):
    lists = pool_stack["data"]["azapi_resource_list"]
    (definitions_address,) = [a for a, d in lists.items() if d["type"] == "Microsoft.Compute/galleries/images@2024-03-03"]
    definitions = lists[definitions_address]
    assert definitions["parent_id"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-jhp-images-dev-weu"
        "/providers/Microsoft.Compute/galleries/gal_jhp_dev_weu"
    )
    (versions,) = [d for d in lists.values() if d["type"] == "Microsoft.Compute/galleries/images/versions@2024-03-03"]
    (check,) = versions["lifecycle"]["precondition"]
    assert f"data.azapi_resource_list.{definitions_address}.output.names" in check["condition"]
    assert check["error_message"].startswith("gallery image ubuntu-22.04 has no image definition in gallery gal_jhp_dev_weu;")


def test_the_pool_waits_for_a_succeeded_version_of_its_gallery_image(pool_stack):
    pool = only(pool_stack["resource"], "azapi_resource")
    (address,) = [a for a, d in pool_stack["data"]["azapi_resource_list"].items() if "versions" in d["type"]]
    versions = pool_stack["data"]["azapi_resource_list"][address]
    assert versions["type"] == "Microsoft.Compute/galleries/images/versions@2024-03-03"
    assert versions["parent_id"].startswith("${data.terraform_remote_state.cross-stack-reference-input-gallery-dev.")
    assert versions["response_export_values"] == {"succeeded": "value[?properties.provisioningState=='Succeeded'].name"}
    (guard,) = pool["lifecycle"]["precondition"]
    assert guard["condition"] == f"${{(length(data.azapi_resource_list.{address}.output.succeeded) > 0)}}"
    assert guard["error_message"] == (
        "gallery image ubuntu-22.04 has no Succeeded version yet; run `mdpool images build ubuntu-22.04` "
        "(or the images stage of `mdpool deploy`), then plan the pool stack again"
    )


def test_no_absolute_paths_or_secrets(example_synth):
    for path in sorted(example_synth.rglob("*.json")):
        text = path.read_text()
        if path.name == "manifest.json":  # the image inputs' rendered definitions are the user's own text
            manifest = json.loads(text)  # (the example's scripts write to /tmp): their paths are checked
            for entry in manifest.pop("mdpool_image_inputs").values():
                assert not entry["definition"].startswith("/") and ":" not in entry["definition"]
                assert "rendered" in entry and "sha256" in entry
            text = json.dumps(manifest)
        assert str(example_synth.parent) not in text
        assert "/tmp" not in text and "/work" not in text and "/root" not in text
        for word in ("client_secret", "password", "access_key", "sas_token"):
            assert word not in text, (path, word)


def test_a_gallery_image_the_pool_lists_twice_is_guarded_once(example_config, tmp_path):
    # one version list and one precondition per (image, version), however many pool entries use it
    from mdpool.app import build_app
    from mdpool.constructs.version_guard import GalleryVersions

    images = example_config.pool.images
    gallery_entry = next(image for image in images if image.gallery_image is not None)
    twice = [*images, gallery_entry.model_copy(update={"aliases": ["another-alias"]})]
    config = example_config.model_copy(update={"pool": example_config.pool.model_copy(update={"images": twice})})
    app = build_app(config, str(tmp_path))
    guards = [node for node in app.node.find_all() if isinstance(node, GalleryVersions)]
    assert len(guards) == 1


def test_staging_groups_and_the_build_network_are_granted_to_the_builder(tmp_path):
    # Learn image-builder-json (stagingResourceGroup): Contributor for the template's identity on the
    # group; Learn image-builder-permissions (existing VNet): virtualNetworks/read + subnets/join/action.
    from mdpool.loader import load_config
    from mdpool.synth import synthesize
    from tests.imagebuild.configs_helper import definition, region, write_config

    vnet = f"{SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-build"
    network = {"subnet_id": f"{vnet}/subnets/build", "container_instance_subnet_id": f"{vnet}/subnets/aci"}
    config = write_config(
        tmp_path,
        definition=definition(region("westeurope")),
        builder={"staging_resource_group": "rg-aib-staging"},
        build={"network": network},
    )
    out = tmp_path / "cdktf.out"
    synthesize(load_config(config), out)
    resources = stack(out, "gallery-dev")["resource"]
    groups = by_name(resources, "azurerm_resource_group")
    staging = groups["rg-aib-staging-ubuntu-22.04"]
    assert staging["location"] == "westeurope"
    assignments = list(resources["azurerm_role_assignment"].values())
    (contributor,) = [a for a in assignments if a.get("role_definition_name") == "Contributor"]
    assert contributor["scope"].startswith("${azurerm_resource_group.") and contributor["scope"].endswith(".id}")
    assert "staging" in contributor["scope"] and "user_assigned_identity" in contributor["principal_id"]
    roles = by_name(resources, "azurerm_role_definition")
    network_role = roles["[JHP] Azure Image Builder Service (dev) network rg-net/vnet-build"]
    assert network_role["permissions"] == [
        {"actions": ["Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/join/action"]}
    ]
    assert network_role["assignable_scopes"] == [vnet] and network_role["scope"] == f"{SUBSCRIPTION}/resourceGroups/rg-net"
    (join,) = [a for a in assignments if a.get("scope") == vnet]
    assert join["role_definition_id"].endswith(".role_definition_resource_id}")
