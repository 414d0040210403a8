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
        "azurerm_resource_group", "azurerm_shared_image_gallery", "azurerm_shared_image",
        "azurerm_user_assigned_identity", "azurerm_role_definition", "azurerm_role_assignment"}
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
        assert definition["description"] == ("Baseline image including build tools to be used for pipeline "
                                             "build agents")
        assert definition["lifecycle"] == {"prevent_destroy": True}
        assert definition["gallery_name"].startswith("${azurerm_shared_image_gallery.")


def test_builder_identity_and_least_privilege_role(gallery):
    resources = gallery["resource"]
    identity = only(resources, "azurerm_user_assigned_identity")
    assert identity["name"] == "id-jhp-imagebuilder-dev-weu"
    role = only(resources, "azurerm_role_definition")
    assert role["name"] == "[JHP] Azure Image Builder Service (dev)"
    assert role["permissions"] == [{"actions": [
        "Microsoft.Compute/galleries/read",
        "Microsoft.Compute/galleries/images/read",
        "Microsoft.Compute/galleries/images/versions/read",
        "Microsoft.Compute/galleries/images/versions/write",
        "Microsoft.Compute/images/write",
        "Microsoft.Compute/images/read",
        "Microsoft.Compute/images/delete",
    ]}]
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
            provider["resource_providers_to_register"])
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
    pool = only(pool_stack["resource"], "azurerm_managed_devops_pool")
    assert pool["name"] == "mdp-jhp-dev-weu"
    assert pool["maximum_concurrency"] == 10
    assert pool["dev_center_project_id"].startswith("${azurerm_dev_center_project.")
    assert pool["azure_devops_organization"] == {
        "organization": [{"parallelism": 10, "url": "https://dev.azure.com/your-organization"}],
        "permission": {"kind": "CreatorOnly"},
    }
    agent = pool["stateful_agent"]
    assert agent["grace_period_time_span"] == "00:30:00"
    assert agent["maximum_agent_lifetime"] == "02:00:00"
    assert "stateless_agent" not in pool
    prediction = agent["manual_resource_prediction"]
    assert prediction["time_zone_name"] == "UTC"
    weekday = [{"count": 1, "time": "04:00:00"}, {"count": 0, "time": "18:00:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        assert prediction[f"{day}_schedule"] == weekday
    assert "saturday_schedule" not in prediction and "sunday_schedule" not in prediction

    fabric = pool["virtual_machine_scale_set_fabric"]
    assert fabric["sku_name"] == "Standard_DS3_v2"
    images = fabric["image"]
    assert images[0] == {"aliases": ["ubuntu-22.04/latest", "ubuntu-latest"], "buffer": "100",
                         "well_known_image_name": "ubuntu-22.04/latest"}
    assert images[1] == {"aliases": ["windows-latest"], "buffer": "0", "well_known_image_name": "windows-2022/latest"}
    assert images[2]["aliases"] == ["jhp-ubuntu-22.04/latest", "jhp-ubuntu/latest"]
    assert images[2]["buffer"] == "0"
    # The gallery definition crosses the stack boundary as a remote-state reference.
    assert images[2]["id"].startswith("${data.terraform_remote_state.cross-stack-reference-input-gallery-dev.outputs.")
    assert images[2]["id"].endswith("}/versions/latest")
    assert "well_known_image_name" not in images[2]


def test_no_absolute_paths_or_secrets(example_synth):
    for path in sorted(example_synth.rglob("*.json")):
        text = path.read_text()
        assert str(example_synth.parent) not in text
        assert "/tmp" not in text and "/work" not in text and "/root" not in text
        for word in ("client_secret", "password", "access_key", "sas_token"):
            assert word not in text, (path, word)
