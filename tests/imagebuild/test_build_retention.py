"""`mdpool images build` tidies after a build: the built image's versions beyond `keep_versions` go.

A subprocess against the loopback ARM stand-in, as tests/imagebuild/test_cli.py runs it; the
rules themselves are tested in tests/deploy/test_retention.py.
"""

from __future__ import annotations

from tests.imagebuild.test_cli import BUILD, cli_env, example_arm, mdpool  # noqa: F401 - fixtures
from tests.imagebuild.test_exclude import IMAGE_ID
from tests.support.json_contract import json_report


def test_a_build_deletes_what_is_beyond_keep_versions_and_reports_it(example_arm, cli_env, tmp_path):
    for n in range(1, 7):  # six old versions; config/example.yaml keeps the default 5
        example_arm.add_image_version(IMAGE_ID, f"0.0.{n}")
    proc = mdpool(cli_env, *BUILD, "ubuntu-22.04", "--out", str(tmp_path / "cdktf.out"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "ubuntu-22.04: deleted 2 old version(s) (keep_versions 5): 0.0.2, 0.0.1" in out.splitlines()
    remaining = sorted(v["name"] for v in example_arm.image_versions(IMAGE_ID))
    assert len(remaining) == 5 and "0.0.1" not in remaining and "0.0.2" not in remaining

    # a forced rebuild adds a version, so one more old one goes; --json carries what was deleted
    proc = mdpool(cli_env, *BUILD, "ubuntu-22.04", "--force", "--json", "--out", str(tmp_path / "cdktf.out"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (image,) = json_report(out, command="images build")["images"]
    assert image["retention"]["deleted"] == ["0.0.3"] and image["retention"]["keep_versions"] == 5
    assert "ubuntu-22.04: deleted 1 old version(s)" in err
