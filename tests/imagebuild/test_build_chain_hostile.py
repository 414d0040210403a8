"""Images built on images (issue 18 item 5): what a user gets wrong or a config-only attacker tries, and the
guards a second mutation audit found untested (each test fails with its guard removed). Same boundaries as
tests/imagebuild/test_build_chain.py: load_config for rules, the loopback ARM stand-in with the real SDK."""

from __future__ import annotations

import dataclasses

import pytest

from mdpool.imagebuild.builder import BUILT, FAILED
from mdpool.imagebuild.source_version import SourceError, resolve_specs
from mdpool.imagebuild.template import GallerySource
from tests.imagebuild.conftest import SUBSCRIPTION, gallery_image_id
from tests.imagebuild.test_build_chain import EXAMPLE_GALLERY, _build, _chain, _problems, _put_sources
from tests.imagebuild.test_builder import connection
from tests.imagebuild.test_cli import cli_env, example_arm  # noqa: F401 - fixtures


def test_a_base_named_in_another_case_is_refused_with_the_name_it_means(tmp_path):
    # the config's references are exact (build order, retention); Azure's names ignore case, so hint the one meant
    errors, _ = _problems(tmp_path, {"gallery.images[1].build.source": {"gallery_image": "UBUNTU-22.04"}})
    assert len(errors) == 1 and errors[0].endswith(
        "gallery.images[1].build.source.gallery_image: 'UBUNTU-22.04' is not an image of this config's gallery; "
        "did you mean 'ubuntu-22.04'? allowed: ubuntu-22.04, ubuntu-24.04"
    )


def test_a_three_level_chain_whose_middle_failed_builds_the_base_only(arm, tmp_path):
    arm.script_build("it-img1", outcome="Failed", duration=0.05)
    _, results = _build(arm, _chain(tmp_path, 3))
    assert [r.status for r in results] == [BUILT, FAILED, FAILED]
    assert results[2].message == "not started: its base image img1 did not build"
    assert [name for name, _ in _put_sources(arm)] == ["it-img0", "it-img1"]


def _on_version_id(tmp_path, image_version_id: str):
    _, child = _chain(tmp_path, 2)
    return dataclasses.replace(child, settings=dataclasses.replace(child.settings, source=GallerySource(image_version_id)))


def test_a_source_version_id_whose_image_does_not_exist_is_named_as_a_source_image(tmp_path):
    from tests.support.arm_standin import ArmStandIn

    definition = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-other/providers/Microsoft.Compute/galleries/g/images/missing"
    with ArmStandIn(subscription_id=SUBSCRIPTION, strict_gallery=True) as arm:
        with pytest.raises(SourceError) as caught:
            resolve_specs([_on_version_id(tmp_path, f"{definition}/versions/latest")], connection(arm))
    assert str(caught.value) == f"source image {definition}: the gallery image definition does not exist (yet); check build.source"


def test_a_source_version_id_with_nothing_in_latest_has_no_build_hint(arm, tmp_path):
    # not an image of the config: `mdpool images build` cannot make one, so no hint to
    definition = gallery_image_id("foreign")
    arm.add_gallery_image(definition)
    with pytest.raises(SourceError) as caught:
        resolve_specs([_on_version_id(tmp_path, f"{definition}/versions/latest")], connection(arm))
    assert str(caught.value) == f"source image {definition}: no version that finished provisioning and is in latest"


@pytest.mark.parametrize(
    "value",
    [
        f"{EXAMPLE_GALLERY}/images/x/versions/1.0.0\n##vso[task.setvariable variable=a]b",
        f"{EXAMPLE_GALLERY}/images/x##vso[task.complete]/versions/1.0.0",
        f"{EXAMPLE_GALLERY}/images/x\x1b]0;title\x07/versions/1.0.0",
        f"{EXAMPLE_GALLERY}/images/x/versions/${{var.v}}",
    ],
)
def test_a_hostile_version_id_is_refused_and_shown_inert(tmp_path, value):
    from mdpool.printed import shown

    errors, _ = _problems(tmp_path, {"gallery.images[1].build.source": {"image_version_id": value}})
    assert len(errors) == 1 and "build.source.image_version_id" in errors[0]
    assert errors[0].count("allowed:") == 1, errors[0]  # one line says once what is allowed
    line = shown(errors[0])
    assert "##vso[" not in line and "\x1b" not in line and "\n" not in line.strip()


def test_a_build_on_a_version_of_another_image_keeps_no_version_of_this_one(tmp_path):
    # retention: a running build starting from `other`'s 0.0.4 does not hold this image's 0.0.4
    from tests.deploy.test_retention import config, seed, tidy
    from tests.support.arm_standin import ArmStandIn

    with ArmStandIn() as arm:
        cfg = config(tmp_path, keep=1)
        image_id = seed(arm, cfg, ["0.0.4", "0.0.5", "0.0.6"])
        other = f"{image_id.rsplit('/', 1)[0]}/other/versions/0.0.4"
        template = {"location": "westeurope", "properties": {"source": {"type": "SharedImageVersion", "imageVersionId": other}, "distribute": []}}
        arm.add_template(cfg.names.gallery_resource_group, "on-other", template, run_state="Running", build_duration=60)
        retention = tidy(cfg, arm)
    assert sorted(retention.deleted) == ["0.0.4", "0.0.5"]


def test_a_version_id_value_never_alters_the_template_json(arm, tmp_path):
    # the id is data: a quote in it stays inside the imageVersionId string of the template Azure receives
    value = f"{EXAMPLE_GALLERY}/images/x\\\",\\\"type\\\":\\\"PlatformImage/versions/1.0.0"
    _, results = _build(arm, [_on_version_id(tmp_path, value)])
    assert [r.status for r in results] == [BUILT], [r.message for r in results]
    assert _put_sources(arm) == [("it-img1", {"type": "SharedImageVersion", "imageVersionId": value})]


def test_images_build_json_when_the_base_failed(example_arm, cli_env, tmp_path):  # noqa: F811
    # --json on failure: one document, exit 1, the child failed without a template PUT
    from tests.imagebuild.test_build_chain import chained_example_build
    from tests.imagebuild.test_cli import mdpool
    from tests.support.json_contract import json_document

    args = chained_example_build(tmp_path)
    example_arm.script_build("jhp-ubuntu-2204-buildagent", outcome="Failed", duration=0.05)
    proc = mdpool(cli_env, *args, "--json")
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 1, err
    document = json_document(out, command="images build")
    images = {image["image"]: image for image in document["report"]["images"]}
    assert images["ubuntu-22.04"]["status"] == images["ubuntu-24.04"]["status"] == "failed"
    assert images["ubuntu-24.04"]["message"] == "not started: its base image ubuntu-22.04 did not build"
    puts = [r for r in example_arm.requests_matching("PUT", r"/imageTemplates/[^/]+$") if r.status < 300]
    assert [r.path.rsplit("/", 1)[-1] for r in puts] == ["jhp-ubuntu-2204-buildagent"]
