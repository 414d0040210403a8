"""Images built on images (issue 18 item 5): `build.source` names one of the config's gallery images or any
gallery image version; a base is built before its children, a rebuilt base rebuilds them, rings are refused.

The builds run the real SDK over HTTPS against the loopback ARM stand-in (production client settings,
short waits); the rules go through `load_config` as `mdpool validate` does; the template through the
Image Builder 2025-10-01 spec.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mdpool.imagebuild.builder import BUILT, DETACHED, FAILED, SKIPPED, BuildOptions
from mdpool.imagebuild.chain import build_in_order, build_layers, resolve_independent
from mdpool.imagebuild.images import ImageSpec, load_definition
from mdpool.imagebuild.source_version import SourceError, resolve_specs
from mdpool.imagebuild.template import CONTENT_HASH_TAG, GallerySource, PlatformSource, content_hash
from mdpool.loader import load_config
from mdpool.problems import InputError
from tests.core.test_config_rules import write
from tests.imagebuild.conftest import QUICK_IMAGE, RG, SUBSCRIPTION, gallery_image_id, make_spec
from tests.imagebuild.test_builder import connection
from tests.imagebuild.test_cli import cli_env, example_arm  # noqa: F401 - fixtures

OPTIONS = BuildOptions(poll_interval=0.02, auth_retry_interval=0.05, auth_retry_window=5.0, watch_margin=30)
EXAMPLE_SUB = "00000000-0000-0000-0000-000000000000"
EXAMPLE_GALLERY = f"/subscriptions/{EXAMPLE_SUB}/resourceGroups/rg-jhp-images-dev-weu/providers/Microsoft.Compute/galleries/gal_jhp_dev_weu"


# --- the config: kinds of source, bases, rings --------------------------------------------------


def _problems(tmp_path: Path, changes: dict) -> tuple[list[str], list[str]]:
    """(errors, warnings) of config/example.yaml with `changes`, as `mdpool validate` reports them."""
    try:
        config = load_config(write(tmp_path, changes))
    except InputError as error:
        lines = [str(p) for p in error.problems]
        return [line for line in lines if ": warning: " not in line], [line for line in lines if ": warning: " in line]
    return [], [str(w) for w in config.warnings]


def test_an_image_built_on_another_image_of_the_config_is_accepted(tmp_path):
    errors, warnings = _problems(tmp_path, {"gallery.images[1].build.source": {"gallery_image": "ubuntu-22.04"}})
    assert errors == [] and not [w for w in warnings if "build.source" in w]
    config = load_config(write(tmp_path, {"gallery.images[1].build.source": {"gallery_image": "ubuntu-22.04", "version": "1.2.3"}}))
    source = config.gallery.images[1].build.source
    assert source.kind == "gallery_image" and source.version == "1.2.3"


@pytest.mark.parametrize(
    "source, expected",
    [
        ({}, "give exactly one kind of source"),
        ({"gallery_image": "ubuntu-22.04", "publisher": "Canonical", "offer": "o", "sku": "s"}, "give exactly one kind of source"),
        ({"gallery_image": "ubuntu-22.04", "image_version_id": f"{EXAMPLE_GALLERY}/images/x/versions/1.0.0"}, "give exactly one kind"),
        ({"publisher": "Canonical", "offer": "o"}, "a marketplace source needs publisher, offer and sku; missing: sku"),
        ({"image_version_id": f"{EXAMPLE_GALLERY}/images/x/versions/1.0.0", "version": "1.0.0"}, "drop `version`"),
        ({"gallery_image": "ubuntu-22.04", "version": "1.0"}, "'1.0' is not an image version"),
    ],
)
def test_a_source_is_one_kind_and_says_what_is_allowed(tmp_path, source, expected):
    errors, _ = _problems(tmp_path, {"gallery.images[1].build.source": source})
    assert len(errors) == 1 and "gallery.images[1].build.source" in errors[0] and expected in errors[0], errors


def test_a_base_that_is_not_an_image_of_the_config_is_refused_with_a_hint(tmp_path):
    errors, _ = _problems(tmp_path, {"gallery.images[1].build.source": {"gallery_image": "ubuntu-22.4"}})
    assert len(errors) == 1
    assert errors[0].endswith(
        "gallery.images[1].build.source.gallery_image: 'ubuntu-22.4' is not an image of this config's gallery; "
        "did you mean 'ubuntu-22.04'? allowed: ubuntu-22.04, ubuntu-24.04"
    )


@pytest.mark.parametrize(
    "version, refused",
    [("2147483647.0.0", False), ("2147483648.0.0", True), ("0.0.0", False), ("latest", False)],
)
def test_a_base_version_is_a_gallery_version_within_32_bits(tmp_path, version, refused):
    # compute spec galleryImageVersionName: Major.Minor.Patch, each a 32-bit integer
    errors, _ = _problems(tmp_path, {"gallery.images[1].build.source": {"gallery_image": "ubuntu-22.04", "version": version}})
    assert bool(errors) == refused, errors
    if refused:
        assert "build.source.version: '2147483648.0.0' has a part over 2147483647" in errors[0]


def test_an_image_built_on_itself_is_a_ring(tmp_path):
    errors, _ = _problems(tmp_path, {"gallery.images[0].build.source": {"gallery_image": "ubuntu-22.04"}})
    assert len(errors) == 1
    assert errors[0].endswith(
        "gallery.images[0].build.source.gallery_image: images built on each other in a ring "
        "(ubuntu-22.04 -> ubuntu-22.04); no order builds them: start one from another source"
    )


def test_two_images_built_on_each_other_are_each_refused_once(tmp_path):
    errors, _ = _problems(
        tmp_path,
        {
            "gallery.images[0].build.source": {"gallery_image": "ubuntu-24.04"},
            "gallery.images[1].build.source": {"gallery_image": "ubuntu-22.04"},
        },
    )
    assert len(errors) == 2
    assert "gallery.images[0].build.source.gallery_image: images built on each other in a ring (ubuntu-22.04 -> ubuntu-24.04 -> ubuntu-22.04)" in errors[0]
    assert "gallery.images[1].build.source.gallery_image: images built on each other in a ring (ubuntu-24.04 -> ubuntu-22.04 -> ubuntu-24.04)" in errors[1]


def test_a_base_of_another_os_is_a_warning(tmp_path):
    errors, warnings = _problems(
        tmp_path, {"gallery.images[1].build.source": {"gallery_image": "ubuntu-22.04"}, "gallery.images[1].os_type": "Windows"}
    )
    mine = [w for w in warnings if "build.source.gallery_image" in w]
    assert len(mine) == 1 and mine[0].endswith(
        "base image 'ubuntu-22.04' has os_type Linux, this image Windows; a build keeps its source's os_type"
    )


@pytest.mark.parametrize(
    "image_version_id, error, warning",
    [
        (f"{EXAMPLE_GALLERY}/images/base/versions/1.0.0", None, None),  # the config's gallery group: rights granted
        (f"{EXAMPLE_GALLERY}/images/base/versions/latest", None, None),
        (
            f"/subscriptions/{EXAMPLE_SUB}/resourceGroups/rg-shared/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0",
            None,
            "outside this config's gallery resource group: give the builder identity read access",
        ),
        (
            f"/subscriptions/{EXAMPLE_SUB}/providers/Microsoft.Compute/locations/westeurope/sharedGalleries/g/images/i/versions/latest",
            None,
            "a direct shared gallery's `latest` is evaluated by Image Builder",
        ),
        (
            f"/subscriptions/{EXAMPLE_SUB}/providers/Microsoft.Compute/locations/westeurope/sharedGalleries/g/images/i/versions/1.0.0",
            None,
            None,
        ),
        (
            f"/subscriptions/{EXAMPLE_SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/managed",
            None,
            "is not a gallery image version id mdpool knows",
        ),
        ("ubuntu:latest", "must start with /subscriptions/", None),
        (f"{EXAMPLE_GALLERY}/images/base/versions/1.0", "version '1.0' is not allowed", None),
    ],
)
def test_an_image_version_id_is_checked_as_azure_reads_it(tmp_path, image_version_id, error, warning):
    errors, warnings = _problems(tmp_path, {"gallery.images[1].build.source": {"image_version_id": image_version_id}})
    mine = [w for w in warnings if "build.source.image_version_id" in w]
    assert [e for e in errors if "build.source.image_version_id" in e] == ([e for e in errors if error in e] if error else [])
    assert len(errors) == (1 if error else 0), errors
    assert len(mine) == (1 if warning else 0) and all(warning in w for w in mine), mine


# --- the order of builds ------------------------------------------------------------------------


def _chain(tmp_path: Path, levels: int = 2, base_version: str = "latest") -> list[ImageSpec]:
    """`levels` images, each (after the first) built on the one before, from `quick.json` files of their own."""
    specs = []
    for level in range(levels):
        path = tmp_path / f"level{level}.json"
        doc = dict(QUICK_IMAGE, Customizers=[{"ShellCustomizer": True, "Name": f"Level{level}", "Inline": [f"echo {level}"]}])
        path.write_text(json.dumps(doc), encoding="utf-8")
        spec = make_spec(path, f"img{level}")
        if level == 0:
            spec = dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, source=PlatformSource("Canonical", "o", "s", "1.2.3")))
        else:
            base = f"img{level - 1}"
            source = GallerySource(f"{gallery_image_id(base)}/versions/{base_version}", base)
            spec = dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, source=source))
        specs.append(spec)
    return specs


def _build(arm, specs, **kwargs):
    for spec in specs:
        arm.add_gallery_image(spec.settings.gallery_image_id)
    conn = connection(arm)
    return build_in_order(resolve_independent(specs, conn), connection=conn, options=OPTIONS, **kwargs)


def _put_sources(arm) -> list[tuple[str, dict]]:
    """(template name, source) of each template PUT that Azure accepted, in order."""
    return [
        (r.path.rsplit("/", 1)[-1], r.body["properties"]["source"])
        for r in arm.requests_matching("PUT", r"/imageTemplates/[^/]+$")
        if r.status < 300
    ]


def test_layers_put_each_base_before_the_images_on_it(tmp_path):
    a, b, c = _chain(tmp_path, 3)
    other = make_spec(tmp_path / "level0.json", "other")
    assert [[s.name for s in layer] for layer in build_layers([c, other, b, a])] == [["other", "img0"], ["img1"], ["img2"]]
    # a base outside the run (not selected) does not hold its child back
    assert [[s.name for s in layer] for layer in build_layers([c, b])] == [["img1"], ["img2"]]


def test_layers_refuse_a_ring_of_specs(tmp_path):
    a, b = _chain(tmp_path, 2)
    ring = dataclasses.replace(a, settings=dataclasses.replace(a.settings, source=GallerySource(f"{gallery_image_id('img1')}/versions/latest", "img1")))
    with pytest.raises(InputError) as caught:
        build_layers([ring, b])
    assert "images built on each other in a ring (img0 -> img1 -> img0)" in str(caught.value.problems[0])


def test_a_two_level_chain_builds_the_base_first_and_the_child_on_the_version_it_made(arm, tmp_path):
    specs = _chain(tmp_path, 2)
    built, results = _build(arm, specs)
    assert [r.status for r in results] == [BUILT, BUILT], [r.message for r in results]
    (base_version,) = arm.image_versions(gallery_image_id("img0"))
    (child_version,) = arm.image_versions(gallery_image_id("img1"))
    # the child's template starts from exactly the version the base build made, PUT after it
    assert _put_sources(arm) == [
        ("it-img0", {"type": "PlatformImage", "publisher": "Canonical", "offer": "o", "sku": "s", "version": "1.2.3"}),
        ("it-img1", {"type": "SharedImageVersion", "imageVersionId": base_version["id"]}),
    ]
    assert built[1].settings.source == GallerySource(base_version["id"], "img0")
    # and that version's id is in the child's content hash
    expected = content_hash(load_definition(specs[1]), GallerySource(base_version["id"]))
    assert child_version["tags"][CONTENT_HASH_TAG] == expected


def test_an_unchanged_base_leaves_the_child_alone_and_a_rebuilt_base_rebuilds_it(arm, tmp_path):
    specs = _chain(tmp_path, 2)
    _build(arm, specs)
    _, again = _build(arm, specs)
    assert [r.status for r in again] == [SKIPPED, SKIPPED]
    # the base's definition changes: a new base version, so a new child on it
    (tmp_path / "level0.json").write_text(json.dumps(dict(QUICK_IMAGE, DiskSizeGiB=65)), encoding="utf-8")
    _, rebuilt = _build(arm, specs)
    assert [r.status for r in rebuilt] == [BUILT, BUILT]
    newest_base = max(arm.image_versions(gallery_image_id("img0")), key=lambda v: int(v["name"].split(".")[-1]))
    assert _put_sources(arm)[-1] == ("it-img1", {"type": "SharedImageVersion", "imageVersionId": newest_base["id"]})
    hashes = {v["tags"][CONTENT_HASH_TAG] for v in arm.image_versions(gallery_image_id("img1"))}
    assert len(hashes) == 2


def test_a_child_whose_base_failed_is_not_started(arm, tmp_path):
    arm.script_build("it-img0", outcome="Failed", duration=0.05)
    _, results = _build(arm, _chain(tmp_path, 3))
    assert [r.status for r in results] == [FAILED, FAILED, FAILED]
    assert results[1].message == "not started: its base image img0 did not build"
    assert results[2].message == "not started: its base image img1 did not build"
    assert [name for name, _ in _put_sources(arm)] == ["it-img0"]


def test_no_layer_starts_after_a_stop(arm, tmp_path):
    import threading

    stop = threading.Event()
    stop.set()
    _, results = _build(arm, _chain(tmp_path, 2), stop=stop)
    assert [r.status for r in results] == [DETACHED, DETACHED]
    assert results[1].message == "not started: stopped before its turn" and _put_sources(arm) == []


def test_a_bad_child_definition_stops_the_run_before_the_base_builds(arm, tmp_path):
    specs = _chain(tmp_path, 2)
    (tmp_path / "level1.json").write_text("{", encoding="utf-8")
    with pytest.raises(InputError):
        _build(arm, specs)
    assert _put_sources(arm) == []


# --- `latest` of a gallery image ------------------------------------------------------------------


def test_latest_is_the_highest_version_that_succeeded_and_is_in_latest(arm, tmp_path):
    base = gallery_image_id("img0")
    arm.add_image_version(base, "1.0.9")
    arm.add_image_version(base, "1.0.10")  # 10 > 9: compared as numbers
    arm.add_image_version(base, "1.0.11", exclude_from_latest=True)
    arm.add_image_version(base, "1.0.12", provisioning_state="Failed")
    _, child = _chain(tmp_path, 2)
    (resolved,) = resolve_specs([child], connection(arm))
    assert resolved.settings.source == GallerySource(f"{base}/versions/1.0.10", "img0")
    arm.add_image_version(base, "1.0.13")
    (resolved,) = resolve_specs([child], connection(arm))
    assert resolved.settings.source.version == "1.0.13"


def test_a_pinned_base_version_is_built_on_as_it_is(arm, tmp_path):
    _, child = _chain(tmp_path, 2, base_version="1.0.0")
    (resolved,) = resolve_specs([child], connection(arm))
    assert resolved == child and arm.requests_matching("GET", "/versions$") == []


def test_a_child_built_alone_says_to_build_its_base_first(arm, tmp_path):
    _, child = _chain(tmp_path, 2)
    arm.add_gallery_image(gallery_image_id("img0"))
    arm.add_image_version(gallery_image_id("img0"), "1.0.0", exclude_from_latest=True)
    with pytest.raises(SourceError) as caught:
        resolve_specs([child], connection(arm))
    assert str(caught.value) == (
        "base image img0: no version that finished provisioning and is in latest; build it first (mdpool images build img0)"
    )


def test_a_source_image_that_does_not_exist_is_one_line(tmp_path):
    from tests.support.arm_standin import ArmStandIn

    with ArmStandIn(subscription_id=SUBSCRIPTION, strict_gallery=True) as arm:
        _, child = _chain(tmp_path, 2)
        with pytest.raises(SourceError) as caught:
            resolve_specs([child], connection(arm))
    assert str(caught.value) == "base image img0: the gallery image definition does not exist (yet); check build.source"


def test_the_template_variables_of_a_gallery_source(tmp_path):
    _, child = _chain(tmp_path, 2, base_version="1.0.0")
    variables = child.template_variables
    assert variables["Version"] == "1.0.0" and variables["Publisher"] == variables["Offer"] == variables["Sku"] == ""
    assert variables["SourceImageVersionId"] == f"{gallery_image_id('img0')}/versions/1.0.0"
    assert child.base_image == "img0" and make_spec(tmp_path / "level0.json").base_image is None
    assert RG in variables["SourceImageVersionId"]


# --- as a user runs it ----------------------------------------------------------------------------


def chained_example_build(tmp_path: Path, *, base_built: bool = True) -> list[str]:
    """`mdpool images build` arguments for config/example.yaml with ubuntu-24.04 built on ubuntu-22.04
    (`base_built=False`: the base has no build section, its versions come from elsewhere)."""
    import yaml

    from tests.imagebuild.conftest import REPO
    from tests.imagebuild.test_cli import BUILD

    data = yaml.safe_load((REPO / "config" / "example.yaml").read_text(encoding="utf-8"))
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = str(REPO / "images" / "ubuntu-buildagent.json.j2")
    if not base_built:
        del data["gallery"]["images"][0]["build"]
    data["gallery"]["images"][1]["build"]["source"] = {"gallery_image": "ubuntu-22.04"}
    config = tmp_path / "env.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return [*(arg if arg != "config/example.yaml" else str(config) for arg in BUILD), "--out", str(tmp_path / "cdktf.out")]


def test_images_build_runs_the_chain_of_a_config_in_order(example_arm, cli_env, tmp_path):
    from tests.imagebuild.test_cli import mdpool

    args = chained_example_build(tmp_path)
    proc = mdpool(cli_env, *args, "--json")
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    from tests.support.json_contract import json_report

    images = {image["image"]: image for image in json_report(out, command="images build")["images"]}
    assert images["ubuntu-22.04"]["status"] == images["ubuntu-24.04"]["status"] == "built"
    base_version = images["ubuntu-22.04"]["version_id"]
    puts = [r for r in example_arm.requests_matching("PUT", r"/imageTemplates/[^/]+$") if r.status < 300]
    assert [r.path.rsplit("/", 1)[-1] for r in puts] == ["jhp-ubuntu-2204-buildagent", "jhp-ubuntu-2404-buildagent"]
    assert puts[1].body["properties"]["source"] == {"type": "SharedImageVersion", "imageVersionId": base_version}
    # run again: both up to date, the child's hash still on the same base version
    proc = mdpool(cli_env, *args)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    assert out.count("up to date, skipped") == 2


def test_a_base_mdpool_does_not_build_is_not_offered_to_images_build(example_arm, cli_env, tmp_path):
    """A base image without a build section (its versions come from elsewhere) and no version yet: the
    hint is not `mdpool images build <base>`, which refuses an image without a build section."""
    from tests.imagebuild.test_cli import mdpool
    from tests.support.json_contract import json_document

    args = chained_example_build(tmp_path, base_built=False)
    proc = mdpool(cli_env, *args)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 1
    assert err.strip().splitlines()[-1] == (
        "base image ubuntu-22.04: no version that finished provisioning and is in latest; "
        "mdpool does not build it (no build section): publish a version of it first"
    )
    # what the old hint offered is refused
    proc = mdpool(cli_env, *args, "ubuntu-22.04", "--json")
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 1
    assert "has no build section" in json_document(out, command="images build")["problems"][0]["message"]


def test_a_base_mdpool_does_not_build_stays_so_on_the_deployed_definition(arm, tmp_path):
    from mdpool.deploy.image_plan import aim_at_outputs
    from mdpool.deploy.terraform import Output

    _, child = _chain(tmp_path, 2)
    source = GallerySource(child.settings.source.image_version_id, "img0", gallery_image_built=False)
    child = dataclasses.replace(child, settings=dataclasses.replace(child.settings, source=source))
    aimed = aim_at_outputs(child, {"image_definition_ids": Output({"img0": gallery_image_id("img0")}, False)})
    arm.add_gallery_image(gallery_image_id("img0"))
    with pytest.raises(SourceError) as caught:
        resolve_specs([aimed], connection(arm))
    assert str(caught.value).endswith("; mdpool does not build it (no build section): publish a version of it first")
    arm.add_image_version(gallery_image_id("img0"), "1.0.0")
    (resolved,) = resolve_specs([aimed], connection(arm))
    assert resolved.settings.source.version == "1.0.0" and resolved.settings.source.gallery_image_built is False


def test_a_ctrl_c_while_a_child_is_resolved_reports_the_built_base_and_starts_nothing_more(arm, tmp_path):
    """Ctrl-C lands while the child's `latest` is read, after its base built: the base's result is kept
    (its new version is not lost to a traceback) and neither that child nor the one on it starts."""
    import os
    import signal

    base_id = gallery_image_id("img0")
    interrupted = []

    def list_versions(request):
        if arm.image_versions(base_id) and not interrupted:  # the base built: this is the child's `latest`
            interrupted.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # as a Ctrl-C: KeyboardInterrupt in the main thread
        return arm._handle_versions("GET", request.match.group(1), None, request.query)

    arm.route("GET", r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+/images/img0)/versions$", list_versions)
    try:
        built, results = _build(arm, _chain(tmp_path, 3))
    except KeyboardInterrupt:
        pytest.fail("the Ctrl-C escaped build_in_order: the base's build result was lost")
    assert interrupted and [r.status for r in results] == [BUILT, DETACHED, DETACHED], [r.message for r in results]
    assert results[1].message == results[2].message == "not started: stopped before its turn"
    assert [name for name, _ in _put_sources(arm)] == ["it-img0"]
