"""`mdpool rollout` refuses what the config alone rules out, before a synth or a sign-in: one line, exit 1."""

from __future__ import annotations

import subprocess

from tests.conftest import MDPOOL, REPO
from tests.rollout.conftest import rollout_config
from tests.support.json_contract import json_document


def rollout(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MDPOOL), "rollout", *args], cwd=REPO, text=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL, check=False
    )


def test_an_unknown_image_is_one_line_and_nothing_is_synthesized(tmp_path):
    config = rollout_config(tmp_path)
    out = tmp_path / "cdktf.out"
    done = rollout("windows", "--config", str(config), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"windows: not a gallery image of {config}; gallery images: ubuntu-22.04, ubuntu-24.04"]
    assert not out.exists()


def test_json_failures_are_one_document(tmp_path):
    config = rollout_config(tmp_path)
    done = rollout("ubuntu-24.04", "--config", str(config), "--out", str(tmp_path / "o"), "--json")
    assert done.returncode == 1
    document = json_document(done.stdout, command="rollout")
    assert document["ok"] is False and document["exit_code"] == 1 and document["report"] is None
    assert document["problems"][0]["text"].startswith("ubuntu-24.04: no pool runs it at `latest`")
