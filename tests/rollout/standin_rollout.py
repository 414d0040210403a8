"""`mdpool rollout` wired to the stand-ins: the ARM stand-in (gallery versions, machines), the Azure DevOps
stand-in (the Runs API) and the real terraform on stand-in stacks whose pool carries the pool body's
images (mdpool.constructs.pool_body.image_entry), synthesized from what mdpool's own overlay says.

The same wiring runs in the test process and, for the interruption test, in a child process that the
test kills (`python -m tests.rollout.standin_rollout SETTINGS.json IMAGE`).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Callable

from rich.console import Console

from mdpool.config import EnvironmentConfig
from mdpool.loader import load_config
from mdpool.constructs.pool_body import image_entry
from mdpool.deploy.images import ImageBuildStage
from mdpool.deploy.orchestrator import Deployment, SynthOutput
from mdpool.deploy.stages import Stage
from mdpool.deploy.terraform import Terraform
from mdpool.doctor.http import Endpoints
from mdpool.imagebuild.builder import Connection
from mdpool.rollout.command import build_rollout
from mdpool.rollout.overlay import synth_config
from mdpool.rollout.smoke import Backoff
from tests.deploy.standin_stacks import StandInEnvironment, synthesize_standins
from tests.deploy.test_stages import STANDIN_POLICY
from tests.support.devops_standin import ARM_SCOPE, DEVOPS_SCOPE, ScopedTokenCredential

FAST = Backoff(first=0.02, most=0.1)


def fabric_images(cfg: EnvironmentConfig) -> tuple:
    ids = {image.name: cfg.names.gallery_image_id(image.name) for image in cfg.gallery.images}
    return tuple(image_entry(image, ids) for image in cfg.pool.images)


def _copy_into(source: Path, target: Path) -> None:
    """As a synth does: the new JSON replaces the old, terraform's working files stay."""
    for item in source.rglob("*"):
        destination = target / item.relative_to(source)
        if item.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item, destination)


class StandInPoolStack:
    """Synthesize the stand-in stacks from the config plus the rollout state, and apply the pool stack."""

    def __init__(self, cfg: EnvironmentConfig, root: Path, terraform: Terraform, connection: Connection, console: Console):
        self.cfg, self.root, self.out = cfg, root, root / "cdktf.out"
        self.terraform, self.connection, self.console = terraform, connection, console
        self.applied: list[tuple] = []
        """The pool images of each apply, in order."""

    def synth(self) -> None:
        current = synth_config(self.cfg, self.out)  # what mdpool's synth would make of it
        images = fabric_images(current)
        staging = self.root / "standin-next"
        shutil.rmtree(staging, ignore_errors=True)
        synthesize_standins(dataclasses.replace(StandInEnvironment.from_config(self.cfg), pool_images=images), staging)
        _copy_into(staging, self.out)
        self.applied.append(images)

    def deployment(self) -> Deployment:
        builds = ImageBuildStage(self.cfg, connection=self.connection, console=self.console)
        return Deployment(SynthOutput.load(self.out), self.terraform, builds, console=self.console, policy=STANDIN_POLICY)

    def apply_pool(self) -> None:
        self.synth()
        self.deployment().deploy([Stage.POOL])

    def deploy_everything(self) -> None:
        self.synth()
        self.deployment().deploy([Stage.GALLERY])
        self.deployment().deploy([Stage.POOL])

    def pool_input(self) -> dict[str, Any]:
        state = json.loads((self.root / "state" / f"{self.cfg.pool_stack}.tfstate").read_text())
        pool = next(r for r in state["resources"] if r["type"] == "terraform_data" and r["name"] == "pool")
        return pool["instances"][0]["attributes"]["input"]["value"]


@dataclasses.dataclass
class Settings:
    config: str
    root: str
    arm_url: str
    arm_ca: str
    arm_token: str
    devops_url: str
    devops_ca: str
    devops_token: str
    terraform_env: dict[str, str]


def make(settings: Settings, say: Callable[[str], None], console: Console):
    """The rollout and its stand-in pool stack, as `mdpool rollout` builds them (mdpool.rollout.command.build_rollout)."""
    cfg = load_config(settings.config)
    credential = ScopedTokenCredential({ARM_SCOPE: settings.arm_token, DEVOPS_SCOPE: settings.devops_token})
    # production client settings (retries on) with a short back-off, as the ARM stand-in's client_kwargs
    connection = Connection(credential, settings.arm_url, settings.arm_ca, {"retry_backoff_factor": 0.01, "polling_interval": 0.01})
    endpoints = Endpoints(arm=connection, devops=settings.devops_url, devops_verify=settings.devops_ca)
    terraform = Terraform.create(echo=lambda line: console.print(line, markup=False, highlight=False), base_env=settings.terraform_env)
    stack = StandInPoolStack(cfg, Path(settings.root), terraform, connection, console)
    rollout, close = build_rollout(cfg, stack.out, endpoints, stack.apply_pool, say, backoff=FAST)
    return rollout, close, stack


def main() -> int:
    from mdpool.node import use_bundled_node
    from mdpool.signals import stop_signals

    use_bundled_node()
    settings = Settings(**json.loads(Path(sys.argv[1]).read_text()))
    console = Console(file=sys.stderr, width=200)
    rollout, close, _ = make(settings, lambda line: print(line, file=sys.stderr, flush=True), console)
    with stop_signals():
        try:
            outcome = rollout.run(sys.argv[2])
        finally:
            close()
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
