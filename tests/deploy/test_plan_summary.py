"""Plan summaries: what `terraform show -json` says, per resource, and what the deploy must refuse.

The azurerm plans are written out in `terraform show -json`'s format (format_version 1.2), because
azurerm plans cannot be made offline; the terraform_data plans in test_orchestrator are real.
"""

from __future__ import annotations

import io
import json

from rich.console import Console

from mdpool.deploy.plan_summary import Action, action_of, render_table, summarize
from mdpool.deploy.protection import ProtectionPolicy, prevent_destroy_addresses, prevent_destroy_lifted


def change(address: str, actions: list[str], before: dict | None, after: dict | None, **extra) -> dict:
    resource_type, name = address.split(".", 1)
    return {
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/azurerm",
        "change": {"actions": actions, "before": before, "after": after, **extra},
    }


PLAN = {
    "format_version": "1.2",
    "resource_changes": [
        change(
            "azurerm_shared_image_gallery.gallery_gallery_1A2B",
            ["delete", "create"],
            {"name": "gal_jhp_dev_weu"},
            {"name": "gal_jhp_dev"},
            replace_paths=[["name"]],
        ),
        change(
            "azurerm_shared_image.gallery_image-ubuntu-2204_3C4D",
            ["update"],
            {"name": "ubuntu-22.04", "description": "a"},
            {"name": "ubuntu-22.04", "description": "b"},
        ),
        change("azurerm_shared_image.gallery_image-ubuntu-2404_5E6F", ["delete"], {"name": "ubuntu-24.04"}, None),
        change(
            "azurerm_managed_devops_pool.pool_pool_7A8B", ["create", "delete"], {"name": "mdp-old"}, {"name": "mdp-jhp-dev-weu"}
        ),
        change("azurerm_user_assigned_identity.builder", ["create"], None, {"name": "id-x"}),
        change("azurerm_role_assignment.read", ["no-op"], {"name": "r"}, {"name": "r"}),
        change(
            "azurerm_key_vault_secret.s",
            ["update"],
            {"name": "hidden"},
            {"name": "hidden"},
            after_sensitive={"name": True},
            before_sensitive={"name": True},
        ),
        {
            "address": "data.azurerm_client_config.current",
            "mode": "data",
            "type": "azurerm_client_config",
            "name": "current",
            "change": {"actions": ["read"]},
        },
    ],
    "output_changes": {
        "gallery_id": {"actions": ["update"]},
        "location": {"actions": ["no-op"]},
    },
}


def test_actions_are_read_into_one_word():
    assert action_of(["delete", "create"]) is Action.REPLACE
    assert action_of(["create", "delete"]) is Action.REPLACE  # create_before_destroy
    assert action_of(["delete"]) is Action.DESTROY
    assert action_of(["create"]) is Action.CREATE
    assert action_of(["update"]) is Action.UPDATE
    assert action_of(["no-op"]) is Action.NOOP
    assert action_of(["read"]) is Action.READ
    assert action_of(["forget"]) is Action.FORGET


def test_summary_per_resource():
    summary = summarize("gallery-dev", PLAN)
    by_address = {c.address: c for c in summary.changes}
    assert "data.azurerm_client_config.current" not in by_address  # data sources change nothing
    assert summary.counts() == {"create": 1, "update": 2, "replace": 2, "destroy": 1}
    assert summary.outputs_changed == ("gallery_id",)
    assert summary.headline() == "gallery-dev: 1 to create, 2 to update, 2 to replace, 1 to destroy"
    gallery = by_address["azurerm_shared_image_gallery.gallery_gallery_1A2B"]
    assert (gallery.protected_kind, gallery.replace_paths) == ("gallery", ("name",))
    assert gallery.name_text == "gal_jhp_dev_weu -> gal_jhp_dev"
    assert by_address["azurerm_managed_devops_pool.pool_pool_7A8B"].protected_kind == "pool"
    assert by_address["azurerm_user_assigned_identity.builder"].protected_kind is None
    # a sensitive name is never shown
    assert by_address["azurerm_key_vault_secret.s"].azure_name is None


def test_protected_losses_are_refused_unless_named():
    summary = summarize("gallery-dev", PLAN)
    refused = [c.address for c in summary.refused([])]
    assert refused == [
        "azurerm_shared_image_gallery.gallery_gallery_1A2B",
        "azurerm_shared_image.gallery_image-ubuntu-2404_5E6F",
        "azurerm_managed_devops_pool.pool_pool_7A8B",
    ]  # the updated image definition is not a loss
    # named by address, by the Azure name it has now or the one it will have, or by block name
    allowed = ["azurerm_shared_image_gallery.gallery_gallery_1A2B", "ubuntu-24.04", "mdp-old"]
    assert summary.refused(allowed) == []
    assert len(summary.refused(["gal_jhp_dev_weu", "gallery_image-ubuntu-2404_5E6F"])) == 1


def test_no_changes():
    plan = {
        "resource_changes": [change("azurerm_shared_image.x", ["no-op"], {"name": "a"}, {"name": "a"})],
        "output_changes": {"a": {"actions": ["no-op"]}},
    }
    summary = summarize("pool-dev", plan)
    assert not summary.has_changes
    assert summary.headline() == "pool-dev: no changes"


def test_outputs_only_is_a_change():
    summary = summarize("gallery-dev", {"resource_changes": [], "output_changes": {"x": {"actions": ["create"]}}})
    assert summary.has_changes and summary.headline() == "gallery-dev: outputs only"


def test_table_marks_losses_and_protection():
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(render_table(summarize("gallery-dev", PLAN)))
    lines = buffer.getvalue().splitlines()
    gallery_row = next(line for line in lines if "gallery_gallery_1A2B" in line)
    assert gallery_row.split()[0] == "replace"
    assert "protected gallery; forced by name" in gallery_row
    assert not any("role_assignment" in line for line in lines)  # no-op rows are left out
    assert "outputs changing: gallery_id" in buffer.getvalue()


def test_policy_by_address_and_prevent_destroy(tmp_path):
    stack = tmp_path / "cdk.tf.json"
    stack.write_text(
        json.dumps(
            {
                "resource": {
                    "terraform_data": {"gallery": {"lifecycle": {"prevent_destroy": True}}, "other": {}},
                    "azurerm_shared_image": {"img": {"lifecycle": {"prevent_destroy": True}}},
                }
            }
        )
    )
    assert prevent_destroy_addresses(stack) == {
        "terraform_data.gallery": "terraform_data",
        "azurerm_shared_image.img": "azurerm_shared_image",
    }
    policy = ProtectionPolicy().for_stack(stack)
    assert policy.kind_of("terraform_data", "terraform_data.gallery") == "protected resource"
    assert policy.kind_of("azurerm_shared_image", "azurerm_shared_image.img") == "image definition"
    assert policy.kind_of("terraform_data", "terraform_data.other") is None
    # explicit addresses win over what the stack marks
    named = ProtectionPolicy(addresses={"terraform_data.gallery": "gallery"}).for_stack(stack)
    assert named.kind_of("terraform_data", "terraform_data.gallery[0]") == "gallery"


def test_override_file_lives_only_while_planning(tmp_path):
    leftover = tmp_path / "mdpool_override.tf.json"
    leftover.write_text("{}")  # from an interrupted run: must not survive
    with prevent_destroy_lifted(tmp_path, {"terraform_data.gallery": "terraform_data"}):
        assert json.loads(leftover.read_text()) == {
            "resource": {"terraform_data": {"gallery": {"lifecycle": {"prevent_destroy": False}}}}
        }
    assert not leftover.exists()
    with prevent_destroy_lifted(tmp_path, {}):
        assert not leftover.exists()


def test_the_azapi_pool_is_protected_by_its_arm_type():
    pool_type = "Microsoft.DevOpsInfrastructure/pools@2026-06-02"
    plan = {
        "resource_changes": [
            change(
                "azapi_resource.pool_8FF6099E",
                ["delete", "create"],
                {"name": "mdp-jhp-dev-weu", "type": pool_type},
                {"name": "mdp-jhp-dev-weu-2", "type": pool_type},
                replace_paths=[["name"]],
            ),
            # another azapi resource is not protected: the kind comes from the ARM type, not from "azapi"
            change(
                "azapi_resource.other", ["delete"], {"name": "x", "type": "Microsoft.Network/publicIPAddresses@2024-05-01"}, None
            ),
            # a destroyed pool has only its `before` side
            change("azapi_resource.gone", ["delete"], {"name": "mdp-old", "type": pool_type.lower()}, None),
        ]
    }
    summary = summarize("pool-dev", plan)
    by_address = {c.address: c for c in summary.changes}
    assert by_address["azapi_resource.pool_8FF6099E"].protected_kind == "pool"
    assert by_address["azapi_resource.gone"].protected_kind == "pool"
    assert by_address["azapi_resource.other"].protected_kind is None
    assert [c.address for c in summary.refused([])] == ["azapi_resource.pool_8FF6099E", "azapi_resource.gone"]
    assert [c.address for c in summary.refused(["mdp-jhp-dev-weu", "mdp-old"])] == []


def test_a_moved_pool_is_not_a_loss():
    # Terraform plans a `moved` pool as a no-op (or an update) at its new address, with its former one.
    pool_type = "Microsoft.DevOpsInfrastructure/pools@2026-06-02"
    item = change(
        "azapi_resource.pool_8FF6099E",
        ["no-op"],
        {"name": "mdp-jhp-dev-weu", "type": pool_type},
        {"name": "mdp-jhp-dev-weu", "type": pool_type},
    )
    item["previous_address"] = "azurerm_managed_devops_pool.pool_8FF6099E"
    summary = summarize("pool-dev", {"resource_changes": [item]})
    assert summary.refused([]) == [] and not summary.has_changes


def test_an_import_alone_is_a_change_to_apply():
    # the pool's hand-over without a forget (a state written by hand): the import must still be applied
    plan = {
        "resource_changes": [
            {
                "address": "azapi_resource.pool_8FF6099E",
                "mode": "managed",
                "type": "azapi_resource",
                "name": "pool_8FF6099E",
                "change": {"actions": ["no-op"], "importing": {"id": "/subscriptions/s/pools/p?api-version=2026-06-02"}},
            }
        ]
    }
    summary = summarize("pool-dev", plan)
    assert summary.has_changes and summary.headline() == "pool-dev: 1 to import"
