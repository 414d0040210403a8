"""`mdpool images exclude IMAGE VERSION [--undo]`: the gallery's own way to hold a bad version back from `latest`.

Run as a user runs it (a subprocess, azure-identity's AzureCliCredential on a stand-in `az`) against the
loopback ARM stand-in; every PATCH body is checked against the compute spec's GalleryImageVersionUpdate
(tests/data/compute-gallery), which requires `properties.storageProfile`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imagebuild.test_cli import EXAMPLE_SUBSCRIPTION, RG, cli_env, example_arm, mdpool  # noqa: F401 - fixtures
from tests.support.json_contract import json_report
from tests.support.swagger_schema import RequestValidator

SPEC = Path(__file__).resolve().parents[1] / "data" / "compute-gallery" / "gallery-image-version-update-2024-03-03.json"
IMAGE_ID = (
    f"/subscriptions/{EXAMPLE_SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/gal_jhp_dev_weu/images/ubuntu-22.04"
)
CONFIG = ("--config", "config/example.yaml")


def run(env, *args: str) -> tuple[int, str, str]:
    proc = mdpool(env, "images", "exclude", *args, *CONFIG)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def patch_bodies(arm) -> list:
    return [r.body for r in arm.requests_matching("PATCH", r"/versions/[^/]+$")]


def test_exclude_holds_a_version_back_and_undo_lets_it_in(example_arm, cli_env):
    example_arm.add_image_version(IMAGE_ID, "0.1.1")
    example_arm.add_image_version(IMAGE_ID, "0.1.2")
    code, out, err = run(cli_env, "ubuntu-22.04", "0.1.2")
    assert code == 0, err
    assert out == "ubuntu-22.04 0.1.2: excluded from latest\n"
    assert example_arm.version_patches == [(f"{IMAGE_ID}/versions/0.1.2", True)]

    code, out, err = run(cli_env, "ubuntu-22.04", "0.1.2", "--undo")
    assert code == 0, err
    assert out == "ubuntu-22.04 0.1.2: back in latest\n"
    assert example_arm.version_patches[-1] == (f"{IMAGE_ID}/versions/0.1.2", False)
    # each body is what Microsoft's spec allows for GalleryImageVersions_Update
    bodies = patch_bodies(example_arm)
    assert len(bodies) == 2
    validator = RequestValidator(SPEC)
    assert [validator.errors(body, "GalleryImageVersionUpdate") for body in bodies] == [[], []]
    assert bodies[0] == {"properties": {"publishingProfile": {"excludeFromLatest": True}, "storageProfile": {}}}


def test_the_spec_refuses_a_body_without_the_storage_profile():
    # the shape `exclude_from_latest` sent before: GalleryImageVersionProperties requires storageProfile
    errors = RequestValidator(SPEC).errors({"properties": {"publishingProfile": {"excludeFromLatest": True}}}, "GalleryImageVersionUpdate")
    assert errors == ["properties: 'storageProfile' is a required property"]


def test_excluding_twice_changes_nothing_and_says_so(example_arm, cli_env):
    example_arm.add_image_version(IMAGE_ID, "0.1.1")
    example_arm.add_image_version(IMAGE_ID, "0.1.2", exclude_from_latest=True)
    code, out, err = run(cli_env, "ubuntu-22.04", "0.1.2", "--json")
    assert code == 0, err
    assert json_report(out, command="images exclude") == {
        "image": "ubuntu-22.04",
        "version": "0.1.2",
        "id": f"{IMAGE_ID}/versions/0.1.2",
        "excluded_from_latest": True,
        "changed": False,
    }
    assert patch_bodies(example_arm) == []


def test_excluding_the_last_version_in_latest_warns(example_arm, cli_env):
    example_arm.add_image_version(IMAGE_ID, "0.1.1", exclude_from_latest=True)
    example_arm.add_image_version(IMAGE_ID, "0.1.2")
    code, out, err = run(cli_env, "ubuntu-22.04", "0.1.2")
    assert code == 0, err
    assert err.splitlines()[-1] == (
        "ubuntu-22.04: warning: no other Succeeded version is in latest, so a pool at `latest` has no version to create agents from"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("ubuntu-22.04", "0.1.9"), "ubuntu-22.04: no version 0.1.9; its versions: 0.1.1"),
        (("ubuntu-22.4", "0.1.1"), "no gallery image named 'ubuntu-22.4' (did you mean 'ubuntu-22.04'?); configured: ubuntu-22.04, ubuntu-24.04"),
        (("ubuntu-22.04", "1.2"), "'1.2' is not a gallery image version; allowed: Major.Minor.Patch, each 0 to 2147483647, e.g. 0.26337.1"),
        (("ubuntu-22.04", "0.1.2147483648"), "'0.1.2147483648' is not a gallery image version; allowed: Major.Minor.Patch, each 0 to 2147483647, e.g. 0.26337.1"),
    ],
)
def test_a_wrong_argument_is_one_line_and_exit_1(example_arm, cli_env, args, line):
    example_arm.add_image_version(IMAGE_ID, "0.1.1")
    code, out, err = run(cli_env, *args)
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1] == line and "Traceback" not in err
    assert patch_bodies(example_arm) == []


def test_the_largest_version_number_is_accepted(example_arm, cli_env):
    example_arm.add_image_version(IMAGE_ID, "0.1.1")
    example_arm.add_image_version(IMAGE_ID, "2147483647.0.0")
    code, out, err = run(cli_env, "ubuntu-22.04", "2147483647.0.0")
    assert code == 0, err
