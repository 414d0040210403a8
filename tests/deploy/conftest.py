"""Fixtures for the deploy tests: stand-in stacks synthesized once, the real terraform, a workspace.

Each test gets its own workspace (`<tmp>/cdktf.out` + `<tmp>/state`), laid out exactly like a real
`mdpool synth` output, and runs the real terraform binary in it with a private CLI config and
plugin cache, so nothing on the machine (or another test) leaks in.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import time
from pathlib import Path

import pytest
from rich.console import Console

from mdpool.loader import load_config
from mdpool.deploy.terraform import Terraform
from mdpool.node import use_bundled_node
from tests.deploy.standin_stacks import StandInEnvironment, synthesize_standins

DATA = Path(__file__).parent / "data"
CONFIG = DATA / "deploy.yaml"


@pytest.fixture(scope="session")
def deploy_config():
    return load_config(CONFIG)


@pytest.fixture(scope="session")
def standin_variants(deploy_config, tmp_path_factory) -> dict[str, Path]:
    """Synthesized stand-in outputs: the base environment and the changes the tests deploy over it."""
    use_bundled_node()  # jsii on the wheel's Node, as mdpool's own synth does
    base = StandInEnvironment.from_config(deploy_config)
    variants = {
        "base": base,
        # renaming the gallery replaces it (and with it every image definition in it)
        "gallery-renamed": dataclasses.replace(base, gallery="gal_jhp_dev_weu_2"),
        # an image dropped from the config destroys its definition
        "image-removed": dataclasses.replace(base, image_ids={k: v for k, v in base.image_ids.items() if k != "ubuntu-24.04"}),
        # an in-place update of an unprotected resource: applies without any question of loss
        "identity-updated": dataclasses.replace(base, extra_gallery_inputs={"note": "updated"}),
        # the pool asks for static outbound addresses; its stack outputs the ones the service assigned
        "static-ips": dataclasses.replace(base, static_ip_addresses=("20.1.2.3", "20.1.2.4")),
        # mdpool round 1: the pool at its former address, no hand-over blocks
        "round-one": dataclasses.replace(base, round_one=True),
    }
    root = tmp_path_factory.mktemp("standins")
    return {name: synthesize_standins(env, root / name / "cdktf.out") for name, env in variants.items()}


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory) -> dict[str, str]:
    """Environment for terraform: a private (empty) CLI config and plugin cache, no update checks."""
    home = tmp_path_factory.mktemp("terraform-home")
    rc = home / "terraformrc"
    rc.write_text("")
    env = dict(os.environ)
    env.update({"TF_CLI_CONFIG_FILE": str(rc), "TF_PLUGIN_CACHE_DIR": str(home / "plugin-cache")})
    env.pop("MDPOOL_TERRAFORM", None)
    env["MDPOOL_TEST_STANDIN_STACKS"] = "terraform_data"  # the stand-ins' one type (mdpool.deploy.output_check)
    env.update(signed_in_az(home / "bin", env.get("PATH", "")))  # `mdpool plan` checks the sign-in first
    return env


def signed_in_az(bin_dir: Path, path: str, token: str = "stand-in-token") -> dict[str, str]:
    """The environment of a shell signed in with the Azure CLI: AzureCliCredential (picked by
    AZURE_TOKEN_CREDENTIALS) runs `az account get-access-token`, and this `az` prints a token.
    The stand-in stacks themselves never use it: they hold no Azure provider."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    az = bin_dir / "az"
    az.write_text(f'#!/bin/sh\necho \'{{"accessToken": "{token}", "expires_on": 4102444800, "tokenType": "Bearer"}}\'\n')
    az.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{path}", "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential"}


@pytest.fixture(autouse=True)
def _standin_stacks_allowed(monkeypatch):
    """The stand-in stacks are built from terraform_data, which mdpool never writes: the deploy
    tests, and only they, let that type in (mdpool.deploy.output_check.STANDIN_ENV)."""
    monkeypatch.setenv("MDPOOL_TEST_STANDIN_STACKS", "terraform_data")


class Workspace:
    """A synth output folder plus the state folder beside it, as `mdpool synth` leaves them."""

    def __init__(self, root: Path, variants: dict[str, Path]) -> None:
        self.root = root
        self.out = root / "cdktf.out"
        self.state = root / "state"
        self.variants = variants
        self.use("base")

    def use(self, variant: str) -> None:
        """Replace the synthesized JSON with another variant, keeping terraform's working files (as synth does)."""
        source = self.variants[variant]
        for item in source.rglob("*"):
            target = self.out / item.relative_to(source)
            if item.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(item, target)

    def state_resources(self, stack: str) -> list[str]:
        """Addresses of the resources in a stack's local state file ([] when it has none)."""
        import json

        path = self.state / f"{stack}.tfstate"
        if not path.exists():
            return []
        state = json.loads(path.read_text())
        return sorted(f"{r['type']}.{r['name']}" for r in state.get("resources", []) if r["mode"] == "managed")

    def serial(self, stack: str) -> int | None:
        """The state's serial: it grows with every apply that writes the state."""
        import json

        path = self.state / f"{stack}.tfstate"
        return json.loads(path.read_text())["serial"] if path.exists() else None


@pytest.fixture
def workspace(tmp_path, standin_variants) -> Workspace:
    return Workspace(tmp_path, standin_variants)


class Captured:
    """A console whose output the test reads (and the terraform lines streamed into it)."""

    def __init__(self) -> None:
        self.timed: list[tuple[float, str]] = []  # terraform's lines with the (monotonic) time they came
        self.buffer = io.StringIO()
        self.console = Console(file=self.buffer, width=160, color_system=None, force_terminal=False)

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def echo(self, line: str) -> None:
        self.timed.append((time.monotonic(), line))
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)


@pytest.fixture
def captured() -> Captured:
    return Captured()


@pytest.fixture
def terraform(terraform_env, captured) -> Terraform:
    return Terraform.create(echo=captured.echo, base_env=terraform_env)
