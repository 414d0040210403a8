"""The images plan of a chain whose child pins its base version: a rebuilt base does not rebuild it (issue 18
item 5; the guard a mutation audit found untested). The deploy stand-ins as in test_image_refresh.py."""

from __future__ import annotations

import yaml

from mdpool.deploy.saved_plan import plan_images_stage
from mdpool.loader import load_config
from tests.deploy.test_deploy_scenarios import make_deployment
from tests.deploy.test_image_refresh import JAMMY, LOCATION, arm, chained_config, template_source  # noqa: F401 - fixture


def test_a_child_pinned_to_a_base_version_is_not_rebuilt_with_the_base(workspace, terraform, captured, arm, tmp_path):  # noqa: F811
    cfg = chained_config(tmp_path)
    make_deployment(workspace, terraform, captured, arm, cfg).deploy(["gallery", "images"])
    built_on = template_source(arm, "ubuntu-24.04")["imageVersionId"].rsplit("/", 1)[-1]

    path = tmp_path / "chained.yaml"  # the child pins the version it was built on
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["gallery"]["images"][1]["build"]["source"] = {"gallery_image": "ubuntu-22.04", "version": built_on}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    pinned = load_config(path)

    arm.marketplace.publish(LOCATION, *JAMMY, "1.0.20240301")  # the base is rebuilt
    dep = make_deployment(workspace, terraform, captured, arm, pinned)
    plan_images_stage(dep, None, command="mdpool deploy")
    base, child = dep.report.images
    assert (base.name, base.outcome) == ("ubuntu-22.04", "to build") and base.message.endswith("-> 1.0.20240301")
    assert (child.name, child.outcome, child.message) == ("ubuntu-24.04", "up to date", "up to date")


def test_a_new_base_version_made_elsewhere_is_why_the_child_is_rebuilt(workspace, terraform, captured, arm, tmp_path):  # noqa: F811
    cfg = chained_config(tmp_path)
    make_deployment(workspace, terraform, captured, arm, cfg).deploy(["gallery", "images"])
    built_on = template_source(arm, "ubuntu-24.04")["imageVersionId"].rsplit("/", 1)[-1]
    # a version of the base made outside this run (another pipeline, `images build ubuntu-22.04`)
    arm.add_image_version(cfg.names.gallery_image_id("ubuntu-22.04"), "9.9.9")
    dep = make_deployment(workspace, terraform, captured, arm, cfg)
    plan_images_stage(dep, None, command="mdpool deploy")
    assert [(i.name, i.outcome, i.message) for i in dep.report.images] == [
        ("ubuntu-22.04", "up to date", "up to date"),
        ("ubuntu-24.04", "to build", f"source moved: {built_on} -> 9.9.9"),
    ]
