"""Image refresh: `latest` is resolved against Compute's marketplace versions (the loopback ARM stand-in,
real SDK pipeline, retries on), so a new marketplace version means a build and none means a skip; the
images stage's plan says which images a deploy would build and why, and a saved one builds exactly those."""

from __future__ import annotations

import json

import pytest

from mdpool.deploy.errors import DeployError
from mdpool.deploy.saved_plan import SavedPlan, apply_saved, plan_images_stage
from mdpool.imagebuild.builder import Connection
from mdpool.imagebuild.source_version import SourceError, resolve_source
from mdpool.imagebuild.template import PlatformSource
from tests.deploy.test_deploy_scenarios import TEMPLATES, make_deployment
from tests.support.arm_standin import ArmStandIn
from tests.support.marketplace_standin import DEFAULT_VERSION

JAMMY = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")
NOBLE = ("Canonical", "ubuntu-24_04-lts", "server")
LOCATION = "westeurope"


@pytest.fixture
def arm():
    with ArmStandIn(build_duration=0.2) as standin:
        yield standin


def resolve(arm, source: PlatformSource, location: str = LOCATION) -> PlatformSource:
    connection = Connection(arm.credential, arm.base_url, arm.ca_file, arm.client_kwargs())
    with connection.client(arm.subscription_id) as client:
        return resolve_source(client, arm.subscription_id, location, source)


def template_source(arm, image: str) -> dict:
    return arm.template("rg-jhp-images-dev-weu", TEMPLATES[image])["properties"]["source"]


def test_latest_is_the_highest_version_compared_as_numbers(arm):
    arm.marketplace.publish(LOCATION, *JAMMY, "22.04.99")
    arm.marketplace.publish(LOCATION, *JAMMY, "22.04.202402010")  # as text it sorts before 22.04.99
    assert resolve(arm, PlatformSource(*JAMMY)).version == "22.04.202402010"
    (request,) = arm.requests_matching("GET", r"/offers/0001-com-ubuntu-server-jammy/skus/22_04-lts-gen2/versions$")
    assert request.query["api-version"] == "2024-07-01"


def test_latest_is_recognised_in_any_case(arm):
    # a source written `Latest` is still resolved (never built from a version name Azure may not know)
    arm.marketplace.publish(LOCATION, *JAMMY, "22.04.202402010")
    assert resolve(arm, PlatformSource(*JAMMY, version="Latest")).version == "22.04.202402010"


def test_a_pinned_version_is_kept_and_asks_nothing(arm):
    assert resolve(arm, PlatformSource(*JAMMY, version="22.04.1")).version == "22.04.1"
    assert arm.requests == []


def test_a_transient_error_is_retried_by_the_sdk_pipeline(arm):
    arm.fail("GET", r"/artifacttypes/vmimage/", 503, times=1)
    assert resolve(arm, PlatformSource(*JAMMY)).version == DEFAULT_VERSION
    assert len(arm.requests_matching("GET", r"/artifacttypes/vmimage/")) == 2


def test_an_unknown_offer_is_one_line(arm):
    arm.marketplace.withdraw(LOCATION, *NOBLE)
    with pytest.raises(SourceError) as error:
        resolve(arm, PlatformSource(*NOBLE))
    assert str(error.value) == (
        "marketplace image Canonical:ubuntu-24_04-lts:server in westeurope: not found; check build.source "
        "(publisher, offer, sku) with `az vm image list --all --publisher Canonical --location westeurope`"
    )


def test_a_new_marketplace_version_builds_and_none_skips(workspace, terraform, captured, arm, deploy_config):
    first = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    assert [i.outcome for i in first.images] == ["built", "built"]
    assert template_source(arm, "ubuntu-22.04")["version"] == DEFAULT_VERSION  # built from the resolved version

    # nothing new in the marketplace: nothing is built
    again = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    assert [i.outcome for i in again.images] == ["skipped", "skipped"]

    # the publisher ships a new jammy: only that image is rebuilt, from exactly that version
    arm.marketplace.publish(LOCATION, *JAMMY, "1.0.20240301")
    refreshed = make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    assert [(i.name, i.outcome) for i in refreshed.images] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "skipped")]
    assert template_source(arm, "ubuntu-22.04")["version"] == "1.0.20240301"


def test_the_images_plan_says_what_a_deploy_would_build_and_why(workspace, terraform, captured, arm, deploy_config, tmp_path):
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    dep.deploy(["gallery"])
    plan_images_stage(dep, None, command="mdpool deploy")
    assert [(i.name, i.outcome, i.message) for i in dep.report.images] == [
        ("ubuntu-22.04", "to build", "no version yet"),
        ("ubuntu-24.04", "to build", "no version yet"),
    ]

    make_deployment(workspace, terraform, captured, arm, deploy_config).deploy(["images"])
    arm.marketplace.publish(LOCATION, *JAMMY, "1.0.20240301")
    plan_dir = tmp_path / "plan-images"
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    seen = len(arm.requests)
    plan_images_stage(dep, plan_dir, command=f"mdpool deploy --plan {plan_dir}")
    assert all(r.method == "GET" for r in arm.requests[seen:])  # a plan changes nothing in Azure
    assert [(i.name, i.outcome, i.message) for i in dep.report.images] == [
        ("ubuntu-22.04", "to build", f"source moved: {DEFAULT_VERSION} -> 1.0.20240301"),
        ("ubuntu-24.04", "up to date", "up to date"),
    ]
    saved = json.loads((plan_dir / "images.json").read_text())["images"]
    assert [(i["name"], i["build"], i["source"].rsplit(":", 1)[1]) for i in saved] == [
        ("ubuntu-22.04", True, "1.0.20240301"),
        ("ubuntu-24.04", False, DEFAULT_VERSION),
    ]
    summary = (plan_dir / "summary.md").read_text()
    assert f"| ubuntu-22.04 | build | source moved: {DEFAULT_VERSION} -> 1.0.20240301 |" in summary

    # an even newer version appears after the approval: the build still builds what was approved
    arm.marketplace.publish(LOCATION, *JAMMY, "1.0.20240401")
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    apply_saved(dep, SavedPlan.load(plan_dir))
    assert [(i.name, i.outcome) for i in dep.report.images] == [("ubuntu-22.04", "built")]
    assert template_source(arm, "ubuntu-22.04")["version"] == "1.0.20240301"


def test_a_definition_changed_since_the_plan_is_refused(workspace, terraform, captured, arm, deploy_config, tmp_path):
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    dep.deploy(["gallery"])
    plan_dir = tmp_path / "plan-images"
    plan_images_stage(dep, plan_dir, command="mdpool deploy --plan")
    data = json.loads((plan_dir / "images.json").read_text())
    data["images"][0]["content_hash"] = "0" * 64  # what was approved is not what would be built now
    (plan_dir / "images.json").write_text(json.dumps(data))
    seen = len(arm.requests)
    with pytest.raises(DeployError) as error:
        apply_saved(make_deployment(workspace, terraform, captured, arm, deploy_config), SavedPlan.load(plan_dir))
    assert error.value.lines[0].startswith("image ubuntu-22.04: its content hash is ")
    assert error.value.lines[0].endswith("the definition changed since: plan the images stage again")
    assert [r for r in arm.requests[seen:] if r.method != "GET"] == []  # nothing built


def test_a_full_plan_also_says_which_images_a_deploy_would_build(workspace, terraform, captured, arm, deploy_config):
    from mdpool.deploy.saved_plan import say_images_after_plan

    make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    arm.marketplace.publish(LOCATION, *NOBLE, "1.0.20240501")
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    seen = len(arm.requests)
    dep.plan()
    say_images_after_plan(dep)
    assert [(i.name, i.outcome, i.message) for i in dep.report.images] == [
        ("ubuntu-22.04", "up to date", "up to date"),
        ("ubuntu-24.04", "to build", f"source moved: {DEFAULT_VERSION} -> 1.0.20240501"),
    ]
    assert (
        f"images: ubuntu-24.04 would be built (source moved: {DEFAULT_VERSION} -> 1.0.20240501); source "
        f"Canonical:ubuntu-24_04-lts:server:1.0.20240501"
    ) in captured.text
    assert all(r.method == "GET" for r in arm.requests[seen:])


def test_a_full_plan_that_cannot_reach_azure_notes_it_and_succeeds(workspace, terraform, captured, arm, deploy_config):
    from mdpool.deploy.saved_plan import say_images_after_plan

    make_deployment(workspace, terraform, captured, arm, deploy_config).deploy()
    arm.marketplace.withdraw(LOCATION, *JAMMY)
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    dep.plan()
    say_images_after_plan(dep)
    assert dep.report.result == "planned" and dep.report.images == []
    assert (
        "images: not checked (marketplace image Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2 in westeurope: not found;"
    ) in captured.text


def test_a_saved_plan_with_nothing_to_build_builds_nothing(workspace, terraform, captured, arm, deploy_config, tmp_path):
    make_deployment(workspace, terraform, captured, arm, deploy_config).deploy(["gallery", "images"])
    plan_dir = tmp_path / "plan-images"
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    plan_images_stage(dep, plan_dir, command="mdpool deploy --plan DIR")
    assert json.loads((plan_dir / "mdpool-plan.json").read_text())["build"] == []
    seen = len(arm.requests)
    dep = make_deployment(workspace, terraform, captured, arm, deploy_config)
    apply_saved(dep, SavedPlan.load(plan_dir))
    assert dep.report.result == "nothing to do" and dep.report.images == []
    assert [r for r in arm.requests[seen:] if r.method != "GET"] == []


# --- images built on images (issue 18 item 5) -----------------------------------------------------


def chained_config(tmp_path):
    """tests/deploy/data/deploy.yaml with ubuntu-24.04 built on the config's ubuntu-22.04."""
    import shutil

    import yaml

    from mdpool.loader import load_config
    from tests.deploy.conftest import CONFIG

    data = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    data["gallery"]["images"][1]["build"]["source"] = {"gallery_image": "ubuntu-22.04"}
    shutil.copy2(CONFIG.parent / "agent.json.j2", tmp_path / "agent.json.j2")
    (path := tmp_path / "chained.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_config(path)


def test_a_plan_builds_the_child_of_a_base_it_rebuilds_and_the_saved_plan_builds_it_on_the_new_base(
    workspace, terraform, captured, arm, tmp_path
):
    cfg = chained_config(tmp_path)
    make_deployment(workspace, terraform, captured, arm, cfg).deploy(["gallery", "images"])
    assert template_source(arm, "ubuntu-24.04")["type"] == "SharedImageVersion"
    first_base = template_source(arm, "ubuntu-24.04")["imageVersionId"]

    # nothing moved: both up to date
    dep = make_deployment(workspace, terraform, captured, arm, cfg)
    plan_images_stage(dep, None, command="mdpool deploy")
    assert [(i.name, i.outcome) for i in dep.report.images] == [("ubuntu-22.04", "up to date"), ("ubuntu-24.04", "up to date")]

    # the base's marketplace source moves: the base is rebuilt, and so is the child, on the new base
    arm.marketplace.publish(LOCATION, *JAMMY, "1.0.20240301")
    plan_dir = tmp_path / "plan-images"
    dep = make_deployment(workspace, terraform, captured, arm, cfg)
    plan_images_stage(dep, plan_dir, command=f"mdpool deploy --plan {plan_dir}")
    assert [(i.name, i.outcome, i.message) for i in dep.report.images] == [
        ("ubuntu-22.04", "to build", f"source moved: {DEFAULT_VERSION} -> 1.0.20240301"),
        ("ubuntu-24.04", "to build", "built on the new version of ubuntu-22.04"),
    ]
    saved = json.loads((plan_dir / "images.json").read_text())["images"]
    assert saved[1]["source"].endswith("/images/ubuntu-22.04/versions/latest")
    dep = make_deployment(workspace, terraform, captured, arm, cfg)
    apply_saved(dep, SavedPlan.load(plan_dir))
    assert [(i.name, i.outcome) for i in dep.report.images] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "built")]
    new_base = template_source(arm, "ubuntu-24.04")["imageVersionId"]
    assert new_base != first_base and new_base.rsplit("/", 1)[-1] == max(
        (v["name"] for v in arm.image_versions(new_base.rsplit("/", 2)[0])), key=lambda n: [int(p) for p in n.split(".")]
    )
