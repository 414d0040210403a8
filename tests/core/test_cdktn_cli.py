"""`cdktn synth` (the CDK Terrain CLI, from package-lock.json) works on the project via cdktf.json."""

from __future__ import annotations

import os
import subprocess

from mdpool.node import bundled_node
from tests.conftest import REPO
from tests.core.test_determinism import same_tree


def test_cdktn_synth_matches_mdpool_synth(example_synth, tmp_path):
    cdktn = REPO / "node_modules" / ".bin" / "cdktn"
    assert cdktn.exists(), "node_modules missing: run `make setup` (make test does it)"
    node = bundled_node()
    assert node is not None
    env = {
        **os.environ,
        "PATH": f"{node.parent}:{os.environ['PATH']}",
        "CHECKPOINT_DISABLE": "1",
        "CI": "1",
        "DISABLE_VERSION_CHECK": "1",
    }
    result = subprocess.run(
        [str(cdktn), "synth", "--output", str(tmp_path / "out")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gallery-dev" in result.stdout and "pool-dev" in result.stdout
    assert same_tree(example_synth, tmp_path / "out")
