"""The stages' Terraform side with the real binary: plan, apply, protection, confirmation, reports.

These tests leave the images out (an environment whose images have no build settings); the tests
with image builds against the ARM stand-in are in test_deploy_scenarios.py.
"""

from __future__ import annotations

import pytest

from mdpool.deploy.errors import DeployError
from mdpool.deploy.orchestrator import Deployment, SynthOutput
from mdpool.deploy.protection import ProtectionPolicy

# The stand-ins are terraform_data, so the protected kinds are named by address here, as the real
# stacks' resource types name them (gallery, image definitions, pool).
STANDIN_POLICY = ProtectionPolicy(
    addresses={
        "terraform_data.gallery": "gallery",
        "terraform_data.image-ubuntu-2204": "image definition",
        "terraform_data.image-ubuntu-2404": "image definition",
        "terraform_data.pool": "pool",
    }
)


class NoImageBuilds:
    """An environment whose gallery images have no build settings: the build stage has nothing to do."""

    def names(self):
        return []

    def build(self, gallery_outputs):
        raise AssertionError("nothing to build")


def deployment(workspace, terraform, captured, **options) -> Deployment:
    options.setdefault("policy", STANDIN_POLICY)
    return Deployment(SynthOutput.load(workspace.out), terraform, NoImageBuilds(), console=captured.console, **options)


def test_synth_output_is_read_from_the_manifest(workspace):
    synth = SynthOutput.load(workspace.out)
    assert (synth.gallery, synth.pool, synth.environment) == ("gallery-dev", "pool-dev", "dev")
    assert synth.directory("pool-dev") == workspace.out / "stacks" / "pool-dev"


def test_not_a_synth_output(tmp_path):
    with pytest.raises(DeployError, match="not a synthesized output"):
        SynthOutput.load(tmp_path)


def test_plan_before_the_gallery_is_deployed(workspace, terraform, captured):
    report = deployment(workspace, terraform, captured).plan()
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "planned"), ("pool-dev", "not planned")]
    assert report.stacks[0].changes == {"create": 5, "update": 0, "replace": 0, "destroy": 0}
    assert (
        "pool-dev: not planned yet; it reads gallery-dev's outputs, so it is planned after the gallery is deployed"
    ) in captured.text
    assert workspace.state_resources("gallery-dev") == []  # plan applies nothing
    assert not list(workspace.out.rglob("mdpool.tfplan"))  # and leaves no plan file (they can hold secrets)
    assert not list(workspace.out.rglob("mdpool_override.tf.json"))


def test_deploy_then_plan_shows_no_changes(workspace, terraform, captured):
    report = deployment(workspace, terraform, captured).deploy()
    assert report.result == "succeeded"
    assert [(s.name, s.status) for s in report.stacks] == [("gallery-dev", "applied"), ("pool-dev", "applied")]
    assert workspace.state_resources("pool-dev") == ["terraform_data.pool"]
    report = deployment(workspace, terraform, captured).plan()
    assert [(s.name, s.status, s.changes["create"]) for s in report.stacks] == [
        ("gallery-dev", "planned", 0),
        ("pool-dev", "planned", 0),
    ]
    assert "pool-dev: no changes" in captured.text


def test_replacing_the_gallery_is_refused_then_allowed(workspace, terraform, captured):
    deployment(workspace, terraform, captured).deploy()
    serial = workspace.serial("gallery-dev")
    workspace.use("gallery-renamed")
    with pytest.raises(DeployError) as caught:
        deployment(workspace, terraform, captured).deploy()
    assert caught.value.lines == [
        "gallery-dev: refusing to replace gallery terraform_data.gallery: a replaced or destroyed gallery takes "
        "every image version in it along; if you mean it, run again with --allow-replace terraform_data.gallery",
        "gallery-dev: refusing to replace image definition terraform_data.image-ubuntu-2204: a replaced or "
        "destroyed image definition takes its image versions along; if you mean it, run again with "
        "--allow-replace terraform_data.image-ubuntu-2204",
        "gallery-dev: refusing to replace image definition terraform_data.image-ubuntu-2404: a replaced or "
        "destroyed image definition takes its image versions along; if you mean it, run again with "
        "--allow-replace terraform_data.image-ubuntu-2404",
    ]
    assert workspace.serial("gallery-dev") == serial  # nothing applied
    # `mdpool plan` shows the same plan and warns, without failing
    report = deployment(workspace, terraform, captured).plan()
    assert (report.result, report.stacks[0].changes["replace"]) == ("planned", 3)
    assert "warning: gallery-dev: refusing to replace gallery terraform_data.gallery" in captured.text
    # naming only some of them is not enough
    with pytest.raises(DeployError) as caught:
        deployment(workspace, terraform, captured, allow_replace=["terraform_data.gallery"]).deploy()
    assert len(caught.value.lines) == 2
    assert workspace.serial("gallery-dev") == serial
    # the synthesized stack still carries prevent_destroy: terraform run by hand refuses as before
    assert '"prevent_destroy": true' in (workspace.out / "stacks/gallery-dev/cdk.tf.json").read_text()

    allowed = ["terraform_data.gallery", "image-ubuntu-2204", "terraform_data.image-ubuntu-2404"]
    report = deployment(workspace, terraform, captured, allow_replace=allowed).deploy()
    assert report.result == "succeeded"
    assert report.stacks[0].changes["replace"] == 3
    assert workspace.serial("gallery-dev") > serial


def test_prevent_destroy_alone_protects(workspace, terraform, captured):
    """Without any policy for the stand-ins, the stack's own prevent_destroy marks still protect."""
    deployment(workspace, terraform, captured, policy=ProtectionPolicy()).deploy()
    workspace.use("gallery-renamed")
    with pytest.raises(DeployError) as caught:
        deployment(workspace, terraform, captured, policy=ProtectionPolicy()).deploy()
    assert caught.value.lines[0].startswith(
        "gallery-dev: refusing to replace protected resource terraform_data.gallery: the synthesized stack marks "
        "it prevent_destroy;"
    )


def test_destroying_an_image_definition_is_refused_then_allowed(workspace, terraform, captured):
    deployment(workspace, terraform, captured).deploy()
    workspace.use("image-removed")
    with pytest.raises(DeployError) as caught:
        deployment(workspace, terraform, captured).deploy()
    assert caught.value.lines == [
        "gallery-dev: refusing to destroy image definition terraform_data.image-ubuntu-2404: a replaced or "
        "destroyed image definition takes its image versions along; if you mean it, run again with "
        "--allow-replace terraform_data.image-ubuntu-2404"
    ]
    assert "terraform_data.image-ubuntu-2404" in workspace.state_resources("gallery-dev")
    report = deployment(workspace, terraform, captured, allow_replace=["terraform_data.image-ubuntu-2404"]).deploy()
    assert report.result == "succeeded"
    assert "terraform_data.image-ubuntu-2404" not in workspace.state_resources("gallery-dev")
    # an allowance that names nothing is pointed out (a typo must not pass unnoticed)
    deployment(workspace, terraform, captured, allow_replace=["terraform_data.galery"]).deploy()
    assert "note: --allow-replace terraform_data.galery named nothing that this deploy replaced or destroyed" in captured.text


def test_an_update_needs_no_allowance(workspace, terraform, captured):
    deployment(workspace, terraform, captured).deploy()
    workspace.use("identity-updated")
    report = deployment(workspace, terraform, captured).deploy()
    assert (report.stacks[0].status, report.stacks[0].changes["update"]) == ("applied", 1)
    assert report.stacks[1].status == "no changes"


def test_each_apply_is_confirmed_and_a_no_stops_the_deploy(workspace, terraform, captured):
    asked = []

    def answer(question: str) -> bool:
        asked.append(question)
        return len(asked) == 1  # yes to the gallery, no to the pool

    dep = deployment(workspace, terraform, captured, confirm=answer)
    with pytest.raises(DeployError) as caught:
        dep.deploy()
    assert asked == ["Apply gallery-dev: 5 to create?", "Apply pool-dev: 1 to create?"]
    assert caught.value.lines == ["pool-dev: not applied (declined); nothing after it was run"]
    assert dep.report.result == "declined"
    assert workspace.state_resources("pool-dev") == []
    # nothing to apply: nothing to ask
    asked.clear()
    dep = deployment(workspace, terraform, captured, confirm=lambda q: asked.append(q) or True)
    dep.deploy()
    assert asked == ["Apply pool-dev: 1 to create?"]


def test_json_report(workspace, terraform, captured):
    dep = deployment(workspace, terraform, captured)
    dep.deploy()
    summary = dep.report.to_json()
    assert summary["command"] == "deploy" and summary["environment"] == "dev"
    assert summary["result"] == "succeeded" and summary["errors"] == []
    assert [(s["name"], s["applied"], s["changes"]["create"]) for s in summary["stacks"]] == [
        ("gallery-dev", True, 5),
        ("pool-dev", True, 1),
    ]
    assert all(s["seconds"] > 0 for s in summary["stacks"])
    assert summary["images"] == []
