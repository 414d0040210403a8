"""The diff engine on small hand-written Terraform JSON pairs: each rule of the comparison in isolation."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mdpool.problems import InputError
from mdpool.review.diff import MISSING, diff_synthesized, flatten
from mdpool.review.markdown import NO_CHANGES, render_markdown
from mdpool.review.pool_words import describe_pool
from mdpool.review.references import Resolver
from mdpool.review.replacement import forces_replacement
from mdpool.review.synthesized import EMPTY, Synthesized, load_synthesized

GALLERY = {
    "//": {"metadata": {"backend": "local", "stackName": "gallery-dev", "version": "0.24.0"}},
    "resource": {
        "azurerm_shared_image": {
            "image_A1": {
                "//": {"metadata": {"path": "gallery-dev/image", "uniqueId": "image_A1"}},
                "name": "ubuntu-22.04",
                "gallery_name": "${azurerm_shared_image_gallery.gallery_B2.name}",
                "description": "Baseline",
                "identifier": {"publisher": "JHP", "offer": "UbuntuServerPipelineAgent", "sku": "22.04-LTS"},
                "tags": {"a": "1"},
            }
        },
        "azurerm_shared_image_gallery": {"gallery_B2": {"name": "gal_jhp_dev_weu", "location": "westeurope"}},
        "azurerm_role_definition": {
            "role_C3": {
                "name": "[JHP] Builder",
                "permissions": [{"actions": ["a/read", "b/write"]}],
                "scope": "/subscriptions/0",
            },
        },
    },
    "output": {"image_ids": {"value": {"ubuntu-22.04": "${azurerm_shared_image.image_A1.id}"}, "sensitive": True}},
    "terraform": {"backend": {"local": {"path": "../../state/gallery-dev.tfstate"}}},
}


def write_output(root: Path, stacks: dict[str, dict]) -> Path:
    """A synth output folder (manifest + stacks) holding `stacks`."""
    manifest = {"stacks": {}, "version": "0.24.0"}
    for name, document in stacks.items():
        (root / "stacks" / name).mkdir(parents=True)
        (root / "stacks" / name / "cdk.tf.json").write_text(json.dumps(document), encoding="utf-8")
        manifest["stacks"][name] = {"name": name, "synthesizedStackPath": f"stacks/{name}/cdk.tf.json"}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def compare(tmp_path: Path, before: dict, after: dict):
    base = load_synthesized(write_output(tmp_path / "base", {"gallery-dev": before}), "base")
    head = load_synthesized(write_output(tmp_path / "head", {"gallery-dev": after}), "head")
    review = diff_synthesized(base, head)
    return review, render_markdown(review, "base", "head")


def test_construct_metadata_is_ignored_at_every_depth(tmp_path):
    after = copy.deepcopy(GALLERY)
    after["//"]["metadata"]["version"] = "9.9.9"
    after["resource"]["azurerm_shared_image"]["image_A1"]["//"]["metadata"]["path"] = "gallery-dev/moved/image"
    after["resource"]["azurerm_shared_image"]["image_A1"]["identifier"]["//"] = {"note": "x"}
    review, text = compare(tmp_path, GALLERY, after)
    assert not review.has_changes
    assert NO_CHANGES in text


def test_nested_changes_are_dotted_paths_and_plain_lists_compare_whole(tmp_path):
    after = copy.deepcopy(GALLERY)
    after["resource"]["azurerm_shared_image"]["image_A1"]["tags"]["a"] = "2"
    after["resource"]["azurerm_role_definition"]["role_C3"]["permissions"][0]["actions"] = ["a/read"]
    review, text = compare(tmp_path, GALLERY, after)
    changes = {c.address: c for c in review.stacks[0].changes}
    assert [a.path for a in changes["azurerm_shared_image.image_A1"].attributes] == ["tags.a"]
    role = changes["azurerm_role_definition.role_C3"].attributes
    assert [(a.path, a.old, a.new) for a in role] == [("permissions.0.actions", ["a/read", "b/write"], ["a/read"])]
    assert '| `permissions.0.actions` | `["a/read", "b/write"]` | `["a/read"]` |' in text


def test_attributes_set_or_unset_show_not_set(tmp_path):
    after = copy.deepcopy(GALLERY)
    image = after["resource"]["azurerm_shared_image"]["image_A1"]
    del image["description"]
    image["end_of_life_date"] = "2030-01-01T00:00:00Z"
    review, text = compare(tmp_path, GALLERY, after)
    attributes = {a.path: (a.old, a.new) for a in review.stacks[0].changes[0].attributes}
    assert attributes == {"description": ("Baseline", MISSING), "end_of_life_date": (MISSING, "2030-01-01T00:00:00Z")}
    assert "| `description` | `Baseline` | (not set) |" in text


@pytest.mark.parametrize(
    "edit, replaced",
    [
        (lambda image: image["identifier"].update(sku="24.04-LTS"), True),
        (lambda image: image.update(name="ubuntu-22.04-b"), True),
        (lambda image: image.update(description="Other"), False),
        (lambda image: image["tags"].update(b="2"), False),
    ],
)
def test_force_new_attributes_flag_a_certain_replacement(tmp_path, edit, replaced):
    after = copy.deepcopy(GALLERY)
    edit(after["resource"]["azurerm_shared_image"]["image_A1"])
    review, text = compare(tmp_path, GALLERY, after)
    assert review.stacks[0].changes[0].replaced is replaced
    assert ("**Terraform will replace** `azurerm_shared_image.image_A1`" in text) is replaced


def test_replacement_rules_see_through_list_indices_and_know_only_listed_types():
    assert forces_replacement("azurerm_shared_image", "identifier.0.sku")
    assert forces_replacement("azurerm_managed_devops_pool", "location")
    assert not forces_replacement("azurerm_managed_devops_pool", "virtual_machine_scale_set_fabric.sku_name")
    assert not forces_replacement("azurerm_shared_image", "identifier_extra")
    assert not forces_replacement("azurerm_something_unknown", "name")


def test_a_changed_construct_id_is_told_as_destroy_and_create_of_the_same_name(tmp_path):
    after = copy.deepcopy(GALLERY)
    images = after["resource"]["azurerm_shared_image"]
    images["image_Z9"] = images.pop("image_A1")
    after["output"]["image_ids"]["value"]["ubuntu-22.04"] = "${azurerm_shared_image.image_Z9.id}"
    review, text = compare(tmp_path, GALLERY, after)
    statuses = {c.address: c.status for c in review.stacks[0].of_kind("resource")}
    assert statuses == {"azurerm_shared_image.image_A1": "removed", "azurerm_shared_image.image_Z9": "added"}
    assert "construct id changed: destroyed and created again" in text
    assert "(its construct id changed; the same Azure name is created again under a new address)" in text


def test_a_boolean_is_not_the_number_one(tmp_path):
    before, after = copy.deepcopy(GALLERY), copy.deepcopy(GALLERY)
    before["resource"]["azurerm_shared_image"]["image_A1"]["specialized"] = 1
    after["resource"]["azurerm_shared_image"]["image_A1"]["specialized"] = True
    review, _ = compare(tmp_path, before, after)
    assert [a.path for a in review.stacks[0].changes[0].attributes] == ["specialized"]


def test_outputs_and_settings_are_compared_too(tmp_path):
    after = copy.deepcopy(GALLERY)
    after["terraform"]["backend"] = {"azurerm": {"key": "mdpool/gallery-dev.tfstate"}}
    after["output"]["extra"] = {"value": "x"}
    review, text = compare(tmp_path, GALLERY, after)
    assert {c.address: c.status for c in review.stacks[0].changes} == {"output.extra": "added", "terraform": "changed"}
    assert "- create `output.extra`" in text
    assert "| `backend.azurerm.key` | (not set) | `mdpool/gallery-dev.tfstate` |" in text


def test_flatten_keeps_empty_containers_as_leaves():
    assert flatten({"features": [{}], "tags": {}, "list": []}) == {"features.0": {}, "tags": {}, "list": []}


def test_everything_is_new_against_an_empty_base(tmp_path):
    head = load_synthesized(write_output(tmp_path / "head", {"gallery-dev": GALLERY}), "head")
    review = diff_synthesized(EMPTY, head)
    assert review.stacks[0].status == "added"
    assert {c.status for c in review.stacks[0].changes} == {"added"}


def test_a_folder_without_manifest_is_one_clear_problem(tmp_path):
    with pytest.raises(InputError) as error:
        load_synthesized(tmp_path)
    assert [str(p) for p in error.value.problems] == [
        f"{tmp_path / 'manifest.json'}: no manifest.json here; expected the output of `mdpool synth --out DIR`"
    ]


def test_a_broken_stack_file_is_named(tmp_path):
    write_output(tmp_path, {"gallery-dev": GALLERY, "pool-dev": {}})
    (tmp_path / "stacks" / "pool-dev" / "cdk.tf.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_synthesized(tmp_path)
    (problem,) = error.value.problems
    assert problem.file == str(tmp_path / "stacks" / "pool-dev" / "cdk.tf.json")
    assert problem.message.startswith("cannot read stack pool-dev: it is not valid JSON (Expecting property name")


def test_pool_words_for_all_week_standby_a_pinned_gallery_id_and_a_data_disk():
    pool = {
        "name": "mdp-x",
        "maximum_concurrency": 4,
        "stateless_agent": {"manual_resource_prediction": {"all_week_schedule": 2, "time_zone_name": "W. Europe Standard Time"}},
        "azure_devops_organization": {
            "organization": [{"url": "https://dev.azure.com/o", "parallelism": 4, "projects": ["a", "b"]}]
        },
        "virtual_machine_scale_set_fabric": {
            "sku_name": "Standard_D2ads_v5",
            "image": [
                {
                    "id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/ubuntu-24.04/versions/1.2.3",
                    "buffer": "*",
                }
            ],
            "storage": {"disk_size_in_gb": 64, "caching": "ReadOnly", "storage_account_type": "Premium_LRS"},
        },
    }
    facts = describe_pool(pool, "pool-dev", Resolver(Synthesized("x", {})))
    assert facts.agents == "stateless: a fresh agent for every job"
    assert facts.standby.summary == "2 standby agent(s) around the clock, all week (W. Europe Standard Time)"
    assert [(i.image, i.aliases, i.buffer) for i in facts.images] == [("gallery image `ubuntu-24.04`, version 1.2.3", (), "*")]
    assert facts.sizing["data disk"] == "64 GiB Premium_LRS, caching ReadOnly"
    assert facts.organizations == ("https://dev.azure.com/o (parallelism 4, projects a, b)",)


def test_a_file_given_as_the_output_folder_says_what_is_expected(tmp_path):
    # it said "cannot read manifest.json: [Errno 20] Not a directory: ..."
    (tmp_path / "out").write_text("mine")
    with pytest.raises(InputError) as caught:
        load_synthesized(tmp_path / "out")
    assert str(caught.value) == (
        f"{tmp_path / 'out' / 'manifest.json'}: no manifest.json here; expected the output of `mdpool synth --out DIR`"
    )
