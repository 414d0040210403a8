"""A role assignment whose scope changes (e.g. a change that widens the image builder's rights from the
gallery to its resource group) must stand out in `mdpool review`: the scope, old and new, and that
Terraform replaces the assignment (azurerm_role_assignment's `scope` is ForceNew in the provider's
schema, internal/services/authorization/role_assignment_resource.go)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO, run_mdpool

SNAPSHOT = REPO / "tests" / "snapshots" / "example"
GALLERY_JSON = "stacks/gallery-dev/cdk.tf.json"


def assignment(document: dict, suffix: str) -> tuple[str, dict]:
    (name,) = [n for n in document["resource"]["azurerm_role_assignment"] if n.startswith(suffix)]
    return name, document["resource"]["azurerm_role_assignment"][name]


@pytest.mark.parametrize("which", ["gallery_publish-image-builder", "gallery_read-devops-infrastructure"])
def test_a_widened_role_assignment_scope_shows_in_the_review(tmp_path, which):
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(SNAPSHOT, base)
    shutil.copytree(SNAPSHOT, head)
    document = json.loads((head / GALLERY_JSON).read_text())
    name, block = assignment(document, which)
    old_scope = block["scope"]
    group = next(iter(document["resource"]["azurerm_resource_group"]))
    block["scope"] = f"${{azurerm_resource_group.{group}.id}}"
    (head / GALLERY_JSON).write_text(json.dumps(document, indent=2))

    done = run_mdpool("review", "--base", str(base), "--head", str(head))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert f"**Terraform will replace** `azurerm_role_assignment.{name}`" in text, text
    assert f"| ± replace | `azurerm_role_assignment.{name}` |  | forces replacement: `scope` |" in text, text
    # the scopes by the Azure names of what they point at: the example's gallery and its resource group
    assert old_scope.startswith("${azurerm_shared_image_gallery.")
    rows = [line for line in text.splitlines() if line.startswith("| `scope`")]
    assert rows == ["| `scope` (forces replacement) | `«gal_jhp_dev_weu».id` | `«rg-jhp-images-dev-weu».id` |"], text


def test_an_unchanged_scope_says_nothing(tmp_path):
    done = run_mdpool("review", "--base", str(SNAPSHOT), "--head", str(SNAPSHOT))
    assert done.returncode == 0
    assert "azurerm_role_assignment" not in done.stdout
