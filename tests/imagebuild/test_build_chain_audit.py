"""Images built on images: the cases a mutation audit of the first tests left open (each test here fails
when the guard it names is removed). Same boundaries as tests/imagebuild/test_build_chain.py."""

from __future__ import annotations

import dataclasses

import pytest

from mdpool.deploy.image_plan import aim_at_outputs
from mdpool.deploy.terraform import Output
from mdpool.imagebuild.builder import BUILT, FAILED, describe_result
from mdpool.imagebuild.source_version import resolve_specs
from mdpool.imagebuild.template import GallerySource
from tests.imagebuild.conftest import gallery_image_id
from tests.imagebuild.test_build_chain import EXAMPLE_SUB, _build, _chain, _problems, _put_sources
from tests.imagebuild.test_builder import connection


@pytest.mark.parametrize(
    "field, base_value, mine",
    [("os_type", "Linux", "Windows"), ("architecture", "x64", "Arm64"), ("hyper_v_generation", "V2", "V1")],
)
def test_each_difference_from_the_base_is_a_warning(tmp_path, field, base_value, mine):
    changes = {"gallery.images[1].build.source": {"gallery_image": "ubuntu-22.04"}, f"gallery.images[1].{field}": mine}
    if field == "architecture":
        changes["gallery.images[1].build.vm_size"] = "Standard_D4ps_v5"  # an Arm64 build size
    _, warnings = _problems(tmp_path, changes)
    mine_ = [w for w in warnings if "build.source.gallery_image" in w]
    assert len(mine_) == 1 and mine_[0].endswith(
        f"base image 'ubuntu-22.04' has {field} {base_value}, this image {mine}; a build keeps its source's {field}"
    ), warnings


def _version_id(subscription: str, group: str) -> str:
    return (
        f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0"
    )


@pytest.mark.parametrize(
    "subscription, group, warned",
    [
        (EXAMPLE_SUB, "rg-jhp-images-dev-weu", False),  # the config's gallery group: mdpool grants the rights there
        (EXAMPLE_SUB.upper(), "RG-JHP-IMAGES-DEV-WEU", False),  # ARM ids compare ignoring case
        ("00000000-0000-0000-0000-0000000000ff", "rg-jhp-images-dev-weu", True),  # same group name, other subscription
        (EXAMPLE_SUB, "rg-other", True),
    ],
)
def test_a_version_id_outside_the_gallery_group_is_a_warning(tmp_path, subscription, group, warned):
    _, warnings = _problems(tmp_path, {"gallery.images[1].build.source": {"image_version_id": _version_id(subscription, group)}})
    mine = [w for w in warnings if "outside this config's gallery resource group" in w]
    assert len(mine) == (1 if warned else 0), warnings


def test_a_direct_shared_gallery_latest_is_left_to_image_builder(arm, tmp_path):
    _, child = _chain(tmp_path, 2)
    shared = f"/subscriptions/{EXAMPLE_SUB}/providers/Microsoft.Compute/locations/westeurope/sharedGalleries/g/images/i/versions/latest"
    child = dataclasses.replace(child, settings=dataclasses.replace(child.settings, source=GallerySource(shared)))
    (resolved,) = resolve_specs([child], connection(arm))
    assert resolved.settings.source.image_version_id == shared and arm.requests == []


def test_a_child_whose_base_version_is_not_in_latest_fails_alone_after_the_base_built(arm, tmp_path):
    # a canary base (excluded from latest) built first: the child's `latest` has nothing to stand for
    base, child = _chain(tmp_path, 2)
    base = dataclasses.replace(base, settings=dataclasses.replace(base.settings, exclude_from_latest=True))
    _, results = _build(arm, [base, child])
    assert [r.status for r in results] == [BUILT, FAILED]
    assert results[1].message == (
        "base image img0: no version that finished provisioning and is in latest; build it first (mdpool images build img0)"
    )
    assert [name for name, _ in _put_sources(arm)] == ["it-img0"]
    assert describe_result(results[1]) == [f"img1: failed: {results[1].message}"]  # it never ran: no "after 0s"
    assert describe_result(results[0])[0].startswith("img0: built ")


def test_the_deployed_definition_of_the_base_is_the_source(tmp_path):
    _, child = _chain(tmp_path, 2)
    deployed = f"/subscriptions/{EXAMPLE_SUB}/resourceGroups/rg-deployed/providers/Microsoft.Compute/galleries/gal/images/img0"
    aimed = aim_at_outputs(child, {"image_definition_ids": Output({"img0": deployed, "img1": "x"}, False)})
    assert aimed.settings.source == GallerySource(f"{deployed}/versions/latest", "img0")
    # an output without the base leaves the source as the config derived it
    kept = aim_at_outputs(child, {"image_definition_ids": Output({"img1": "x"}, False)})
    assert kept.settings.source == child.settings.source == GallerySource(f"{gallery_image_id('img0')}/versions/latest", "img0")


def test_the_version_a_running_build_resolved_latest_to_stays(tmp_path):
    # spec 2025-10-01 ImageTemplateSharedImageVersionSource.exactVersion: the version `latest` stood for (readOnly)
    from tests.deploy.test_retention import config, seed, tidy
    from tests.support.arm_standin import ArmStandIn

    with ArmStandIn() as arm:
        cfg = config(tmp_path, keep=1)
        image_id = seed(arm, cfg, ["0.0.4", "0.0.5", "0.0.6"])
        source = {"type": "SharedImageVersion", "imageVersionId": f"{image_id}/versions/latest", "exactVersion": f"{image_id}/versions/0.0.4"}
        template = {"location": "westeurope", "properties": {"source": source, "distribute": []}}
        arm.add_template(cfg.names.gallery_resource_group, "on-latest", template, run_state="Running", build_duration=60)
        retention = tidy(cfg, arm)
    why = {d["version"]: d["kept_because"] for d in retention.to_json()["versions"]}
    assert why["0.0.4"] == ["the source of the running build on-latest"] and retention.deleted == ["0.0.5"]
