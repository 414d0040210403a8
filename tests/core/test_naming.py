"""Derived names follow Azure's rules per resource type; explicit names are checked the same way."""

from __future__ import annotations

import pytest

from mdpool.validate.names import RULES


def test_example_names(example_config):
    names = example_config.names
    assert names.gallery == "gal_jhp_dev_weu"
    assert "-" not in names.gallery  # galleries refuse hyphens
    assert names.gallery_resource_group == "rg-jhp-images-dev-weu"
    assert names.pool_resource_group == "rg-jhp-pool-dev-weu"
    assert names.builder_identity == "id-jhp-imagebuilder-dev-weu"
    assert names.builder_role == "[JHP] Azure Image Builder Service (dev)"
    assert names.dev_center == "dc-jhp-dev-weu"
    assert names.project == "dcp-jhp-dev-weu"
    assert names.pool == "mdp-jhp-dev-weu"
    assert names.image_template("ubuntu-22.04") == "jhp-ubuntu-2204-buildagent"
    assert names.image_template("ubuntu-24.04") == "jhp-ubuntu-2404-buildagent"


def test_example_ids(example_config):
    names = example_config.names
    group = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-jhp-images-dev-weu"
    assert names.gallery_image_id("ubuntu-22.04") == (
        f"{group}/providers/Microsoft.Compute/galleries/gal_jhp_dev_weu/images/ubuntu-22.04"
    )
    assert names.builder_identity_id == (
        f"{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-jhp-imagebuilder-dev-weu"
    )


def test_derived_names_are_unique_per_type(example_config):
    names = example_config.names
    assert len({names.gallery_resource_group, names.pool_resource_group}) == 2
    assert len(set(names.image_templates.values())) == len(names.image_templates)


@pytest.mark.parametrize(
    "kind, good, bad",
    [
        ("gallery", ["gal_jhp_dev", "a", "g.1"], ["gal-jhp", "_gal", "gal.", "x" * 81]),
        ("gallery image", ["ubuntu-22.04", "w"], ["-ubuntu", "ubuntu-", "a b"]),
        ("resource group", ["rg-a_b.(c)"], ["rg.", "", "r" * 91, "rg/x"]),
        ("user-assigned identity", ["id-a_b"], ["id", "-id", "id.x"]),
        ("dev center", ["dc-jhp-dev-weu", "d" * 26, "dc-"], ["dc", "dc_x", "d" * 27, "-dc", "dc\n"]),
        ("dev center project", ["dcp.a_b-c"], ["p", "-p12"]),
        ("managed devops pool", ["mdp-jhp.dev"], ["mdp_x", "-mdp", "m" * 45, "ab"]),
        ("virtual network", ["vnet_a-b_"], ["v", "vnet-"]),
        ("image template", ["it-ubuntu-22.04", "it-", "i" * 64], ["it/x", "", "i" * 65, "it\n"]),
        ("role definition", ["[JHP] Azure Image Builder Service", "r" * 512], ["", "r" * 513]),
    ],
)
def test_name_rules(kind, good, bad):
    rule = RULES[kind]
    for name in good:
        assert rule.problem(name) is None, name
    for name in bad:
        message = rule.problem(name)
        assert message is not None and kind in message and "allowed:" in message, (name, message)


def test_a_dev_center_project_name_both_sides_of_63_characters():
    # learn.microsoft.com/azure/templates/microsoft.devcenter/projects: name length 3-63
    rule = RULES["dev center project"]
    assert rule.problem("p" * 63) is None
    assert "has 64 characters; allowed: 3 to 63" in (rule.problem("p" * 64) or "")
