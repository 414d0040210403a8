"""A saved images plan edited by hand (issue 18 item 5, hostile-user pass): the content hash holds the
source, but whoever edits the source can recompute the hash too, so the deploy also checks that the plan
builds the config's source image (at a version the plan resolved), not another one. The deploy stand-ins
as in test_image_refresh.py."""

from __future__ import annotations

import json

import pytest

from mdpool.deploy.errors import DeployError
from mdpool.deploy.saved_plan import SavedPlan, apply_saved, plan_images_stage
from mdpool.imagebuild.images import image_specs, load_definition
from mdpool.imagebuild.source_version import with_source
from mdpool.imagebuild.template import GallerySource, PlatformSource, settings_content_hash
from tests.deploy.test_deploy_scenarios import make_deployment
from tests.deploy.test_image_refresh import JAMMY, LOCATION, arm, chained_config  # noqa: F401 - fixture

SUB = "00000000-0000-0000-0000-000000000000"
FOREIGN = f"/subscriptions/{SUB}/resourceGroups/rg-other/providers/Microsoft.Compute/galleries/other/images/backdoor/versions/1.0.0"


def _saved_plan(workspace, terraform, captured, arm, tmp_path):  # noqa: F811
    """A chain deployed once, then its base's marketplace source moved: a saved plan building both."""
    cfg = chained_config(tmp_path)
    make_deployment(workspace, terraform, captured, arm, cfg).deploy(["gallery", "images"])
    arm.marketplace.publish(LOCATION, *JAMMY, "1.0.20240301")
    plan_dir = tmp_path / "plan-images"
    plan_images_stage(make_deployment(workspace, terraform, captured, arm, cfg), plan_dir, command="mdpool deploy --plan")
    return cfg, plan_dir


def _edit(cfg, plan_dir, index: int, source: str, source_object) -> None:
    """The plan's image `index` built from `source`, its content hash recomputed as an editor would."""
    data = json.loads((plan_dir / "images.json").read_text())
    image = data["images"][index]
    image["source"] = source
    if source_object is not None:
        spec = with_source(image_specs(cfg, [image["name"]])[0], source_object)
        image["content_hash"] = settings_content_hash(load_definition(spec), spec.settings)
    (plan_dir / "images.json").write_text(json.dumps(data))


@pytest.mark.parametrize(
    "index, source, source_object",
    [
        (1, FOREIGN, GallerySource(FOREIGN)),  # the child on another gallery's image
        (0, "Canonical:another-offer:22_04-lts-gen2:1.0.20240301", PlatformSource("Canonical", "another-offer", "22_04-lts-gen2", "1.0.20240301")),
        (1, f"{JAMMY[0]}:{JAMMY[1]}:{JAMMY[2]}:1.0.20240301", PlatformSource(*JAMMY, version="1.0.20240301")),  # another kind
        (0, "Canonical-only", None),  # not a source at all: one line, no traceback
    ],
)
def test_a_saved_plan_building_from_another_source_is_refused(workspace, terraform, captured, arm, tmp_path, index, source, source_object):  # noqa: F811
    cfg, plan_dir = _saved_plan(workspace, terraform, captured, arm, tmp_path)
    _edit(cfg, plan_dir, index, source, source_object)
    seen = len(arm.requests)
    with pytest.raises(DeployError) as error:
        apply_saved(make_deployment(workspace, terraform, captured, arm, cfg), SavedPlan.load(plan_dir))
    name = ("ubuntu-22.04", "ubuntu-24.04")[index]
    (line,) = [line for line in error.value.lines if line.startswith(f"image {name}:")]
    assert line.startswith(f"image {name}: the saved plan builds from {source}, not from the config's source ")
    assert line.endswith(" at a version; plan the images stage again")
    assert [r for r in arm.requests[seen:] if r.method != "GET"] == []  # nothing built


def test_a_saved_plan_may_name_the_source_in_another_case(workspace, terraform, captured, arm, tmp_path):  # noqa: F811
    # ARM ids and marketplace names ignore case: the same image written otherwise is still the approved one
    cfg, plan_dir = _saved_plan(workspace, terraform, captured, arm, tmp_path)
    data = json.loads((plan_dir / "images.json").read_text())
    data["images"][0]["source"] = data["images"][0]["source"].upper().replace("LATEST", "latest")
    base = data["images"][0]["source"].split(":")
    spec = with_source(image_specs(cfg, ["ubuntu-22.04"])[0], PlatformSource(*base))
    data["images"][0]["content_hash"] = settings_content_hash(load_definition(spec), spec.settings)
    (plan_dir / "images.json").write_text(json.dumps(data))
    dep = make_deployment(workspace, terraform, captured, arm, cfg)
    apply_saved(dep, SavedPlan.load(plan_dir))
    assert [(i.name, i.outcome) for i in dep.report.images] == [("ubuntu-22.04", "built"), ("ubuntu-24.04", "built")]
