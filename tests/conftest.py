"""Session-wide fixtures. The provider bindings take seconds and ~500 MB to load, so the example is
synthesized once per test session (in this process) and every test reads that output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO / "config" / "example.yaml"
MDPOOL = Path(sys.executable).parent / "mdpool"


@pytest.fixture(autouse=True)
def _no_user_config_choice(monkeypatch):
    """Every --config defaults to $MDPOOL_CONFIG (a pipeline sets it); tests choose their config explicitly."""
    monkeypatch.delenv("MDPOOL_CONFIG", raising=False)


@pytest.fixture(scope="session")
def example_config():
    from mdpool.loader import load_config

    return load_config(EXAMPLE_CONFIG)


@pytest.fixture(scope="session")
def example_synth(tmp_path_factory, example_config) -> Path:
    """The example's synthesized output folder (manifest.json + stacks/<stack>/cdk.tf.json). Read only."""
    from mdpool.synth import synthesize

    out = tmp_path_factory.mktemp("example") / "cdktf.out"
    synthesize(example_config, out)
    return out


def run_mdpool(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed `mdpool` command as a user would, in a separate process."""
    return subprocess.run(
        [str(MDPOOL), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch):
    """Tests see mdpool as a user's shell does, also when the suite itself runs in Azure Pipelines or
    GitHub Actions: the CI markers that add annotations (mdpool.ci_annotations) are set only by the
    tests about them."""
    monkeypatch.delenv("TF_BUILD", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture(autouse=True)
def _prices_stay_on_this_machine(monkeypatch, tmp_path_factory):
    """`mdpool review` and `plan` ask the Azure Retail Prices API for standby costs: in the tests they
    ask a loopback port nothing listens on (refused at once: the price is unknown), unless a test
    points them at its stand-in, and they cache into a folder of the session, never ~/.cache."""
    monkeypatch.setenv("MDPOOL_PRICES_ENDPOINT", "https://127.0.0.1:9")
    monkeypatch.setenv("MDPOOL_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "mdpool-cache"))
