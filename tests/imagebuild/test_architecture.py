"""Arm64 images: an Arm64 build size by default, no boot optimization, a refused x64 size.

The size names and what they are come from Microsoft's size pages (MicrosoftDocs azure-docs,
articles/virtual-machines/sizes/...): Dpsv5, Dplsv5, Epsv5 and Bpsv2 are Arm-based (Ampere
Altra); the others are x64. The rule that reads them is the naming convention's `p` feature letter
(articles/virtual-machines/vm-naming-conventions.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mdpool.cli import app
from mdpool.loader import load_config
from mdpool.imagebuild import image_specs, load_definition
from mdpool.validate.architecture import build_size_problem, size_architecture
from mdpool.imagebuild.template import image_template
from mdpool.problems import InputError
from tests.imagebuild.conftest import REPO

EXAMPLE = REPO / "config" / "example.yaml"


@pytest.mark.parametrize(
    "size",
    [
        "Standard_D4ps_v5",
        "Standard_D2pds_v5",
        "Standard_D2plds_v5",
        "Standard_D8pls_v5",
        "Standard_E4ps_v5",
        "Standard_E4pds_v5",
        "Standard_B2pls_v2",
        "Standard_B2pts_v2",
        "Standard_D4ps_v6",
        "Standard_E96-48ps_v5",
    ],
)
def test_arm64_sizes_are_recognised_by_their_p_feature_letter(size):
    assert size_architecture(size) == "Arm64"


@pytest.mark.parametrize(
    "size",
    [
        "Standard_D4s_v3",
        "Standard_DS3_v2",
        "Standard_D2ads_v5",
        "Standard_D4as_v5",
        "Standard_F8s_v2",
        "Standard_NC24ads_A100_v4",
        "Standard_M416-208s_v2",
        "Standard_D2_v2",
        "Standard_HB120rs_v3",
        "Standard_NP10s",
    ],
)
def test_x64_sizes_have_no_p_feature_letter(size):
    assert size_architecture(size) == "x64"


@pytest.mark.parametrize("size", ["Basic_A0", "custom", "Standard_"])
def test_a_name_off_the_convention_is_not_judged(size):
    assert size_architecture(size) is None and build_size_problem("Arm64", size) is None


def config_with(tmp_path: Path, **build_changes) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    image = data["gallery"]["images"][0]
    image["architecture"] = build_changes.pop("architecture", "Arm64")
    image["build"]["definition"] = str(REPO / "images" / "ubuntu-buildagent.json.j2")
    image["build"].update(build_changes)
    data["gallery"]["images"][1]["build"]["definition"] = str(REPO / "images" / "ubuntu-buildagent.json.j2")
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_an_arm64_image_builds_on_an_arm64_size_without_boot_optimization(tmp_path):
    cfg = load_config(config_with(tmp_path))
    arm, x64 = image_specs(cfg)
    assert arm.settings.vm_size == "Standard_D4ps_v5" and arm.settings.architecture == "Arm64"
    assert x64.settings.vm_size == "Standard_D4s_v3"  # the blog's default, unchanged
    arm_body = image_template(load_definition(arm), arm.settings, run_output="aib-1")
    x64_body = image_template(load_definition(x64), x64.settings, run_output="aib-1")
    assert "optimize" not in arm_body["properties"]
    assert x64_body["properties"]["optimize"] == {"vmBoot": {"state": "Enabled"}}
    assert arm_body["properties"]["vmProfile"]["vmSize"] == "Standard_D4ps_v5"


def test_an_arm64_size_the_user_sets_is_kept(tmp_path):
    (arm, _) = image_specs(load_config(config_with(tmp_path, vm_size="Standard_D8pds_v5")))
    assert arm.settings.vm_size == "Standard_D8pds_v5"


def test_an_x64_build_size_for_an_arm64_image_is_one_line_at_its_setting(tmp_path):
    path = config_with(tmp_path, vm_size="Standard_D4s_v3")
    with pytest.raises(InputError) as error:
        load_config(path)
    (problem,) = error.value.problems
    text = str(problem)
    assert text.startswith(f"{path}:") and "gallery.images[0].build" in text
    assert "'Standard_D4s_v3' is an x64 size and this image is Arm64" in text and "Standard_D4ps_v5" in text
    lines = path.read_text().splitlines()
    assert "build:" in lines[problem.line - 1]


def test_an_arm64_build_size_for_an_x64_image_is_refused_too(tmp_path):
    with pytest.raises(InputError) as error:
        load_config(config_with(tmp_path, architecture="x64", vm_size="Standard_D4ps_v5"))
    assert "'Standard_D4ps_v5' is an Arm64 size" in str(error.value.problems[0])


def test_validate_refuses_it_with_one_line_and_exit_1(tmp_path):
    result = CliRunner().invoke(app, ["validate", "--config", str(config_with(tmp_path, vm_size="Standard_D2ads_v5"))])
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if "Standard_D2ads_v5" in line]
    assert len(problems) == 1 and "Traceback" not in result.output


@pytest.mark.parametrize(
    "version, ok",
    [
        ("latest", True),
        ("22.04.202411190", True),
        ("0.0.0", True),
        ("Latest", True),
        ("22.04", False),
        ("22.04.1.2", False),
        ("latest\n", False),
        ("1.0.0\n", False),
        ("", False),
        ("v1.0.0", False),
    ],
)
def test_the_source_version_is_latest_or_major_minor_build(tmp_path, version, ok):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["gallery"]["images"][0]["build"]["source"]["version"] = version
    for image in data["gallery"]["images"]:
        image["build"]["definition"] = str(REPO / "images" / "ubuntu-buildagent.json.j2")
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    if ok:
        assert image_specs(load_config(path))[0].settings.source.version == version
        return
    with pytest.raises(InputError) as error:
        load_config(path)
    (problem,) = error.value.problems
    assert "build.source.version" in str(problem) and "allowed: latest, or Major.Minor.Build" in str(problem)
