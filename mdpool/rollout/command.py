"""`mdpool rollout IMAGE`: the CLI over mdpool.rollout.runner, with the deploy's session (terraform, synth, signals)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Optional

import typer

from mdpool.cli_support import DEFAULT_CONFIG, ConfigOption, JsonOption, emit_json, fail
from mdpool.completion import image_names
from mdpool.deploy.cli import OutOption, TerraformBinOption

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig
    from mdpool.doctor.http import Endpoints
    from mdpool.rollout.runner import Rollout


def rollout_endpoints(connection) -> "Endpoints":
    """Azure DevOps as `mdpool doctor` reaches it (MDPOOL_DEVOPS_*), ARM through `connection` (signed in already)."""
    from mdpool.doctor.http import Endpoints

    base = Endpoints.from_environment()
    return Endpoints(arm=connection or base.arm, devops=base.devops, devops_verify=base.devops_verify)


def build_rollout(
    cfg: "EnvironmentConfig",
    out: Path,
    endpoints: "Endpoints",
    apply_pool: Callable[[], None],
    say: Callable[[str], None],
    *,
    backoff=None,
) -> "tuple[Rollout, Callable[[], None]]":
    """The rollout of `cfg` against `endpoints` (ARM and Azure DevOps), and how to close its clients."""
    from mdpool.doctor.http import DEVOPS_SCOPE, TokenClient
    from mdpool.rollout.runner import Rollout
    from mdpool.rollout.smoke import Backoff, SmokeRuns
    from mdpool.rollout.state import state_path

    arm = endpoints.arm.client(cfg.subscription_id)
    devops = TokenClient(
        endpoints, DEVOPS_SCOPE, endpoints.devops_verify, {"X-TFS-FedAuthRedirect": "Suppress", "Accept": "application/json"}
    )

    def close() -> None:
        arm.close()
        devops.close()

    smoke = SmokeRuns(devops, endpoints, backoff=backoff or Backoff())
    return Rollout(cfg, state_path(cfg, out), arm, smoke, apply_pool, say), close


def rollout(
    image: Annotated[
        str, typer.Argument(help="The gallery image whose newest version (or --version) rolls out.", autocompletion=image_names)
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    out: OutOption = Path("cdktf.out"),
    terraform_bin: TerraformBinOption = None,
    version: Annotated[
        Optional[str], typer.Option("--version", help="Roll out this version instead of the newest.", show_default=False)
    ] = None,
    abort: Annotated[
        bool, typer.Option("--abort", help="Roll the rollout under way back: the pools keep the previous version.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Roll a new image version out through a canary: smoke pipelines on it, then promote or roll back.

    The pools that run IMAGE at `latest` get the new version as `<IMAGE>-canary` (buffer 0) beside the
    previous version, pinned; the config's smoke pipelines run on it. On success the pools move to the
    new version and idle agents on the old one are recycled; on failure the pools keep the previous
    version, the new one is excluded from latest, and mdpool exits 1 naming the failed run. Stopped
    anywhere, `mdpool rollout IMAGE` again continues (docs/rollout.md).
    """
    from mdpool.deploy.cli import _Session
    from mdpool.deploy.errors import DeployError
    from mdpool.deploy.orchestrator import Interrupted
    from mdpool.deploy.stages import Stage
    from mdpool.synth import synthesize

    session = _Session(config, out, terraform_bin, False, no_synth=True)
    cfg = session.cfg
    if not abort:  # what the config alone can say, before a synth or a sign-in
        from mdpool.rollout.runner import RolloutRefused, check_rollout

        try:
            check_rollout(cfg, image)
        except RolloutRefused as error:
            fail(error.lines)
    # the first synth, inside the session's lock of --out (and again before each apply of the pool stack)
    session.prepare = lambda: synthesize(cfg, out, locked=True)
    if json_output:  # stdout carries the one JSON document; progress goes to stderr
        from mdpool.printed import console

        session.console = console(stderr=True)  # values shown, never obeyed (mdpool.printed)

    def echo(line: str) -> None:
        session.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def run(deployment) -> None:
        def apply_pool() -> None:
            synthesize(cfg, out, locked=True)  # reads the rollout state: the canary, or the config alone
            deployment.deploy([Stage.POOL])

        endpoints = rollout_endpoints(deployment.images.connection)
        runner, close = build_rollout(cfg, out, endpoints, apply_pool, echo)
        try:
            outcome = runner.run(image, version, abort=abort)
        except (KeyboardInterrupt, Interrupted):  # also inside an apply of the pool stack (the deploy's Interrupted)
            raise Interrupted(
                f"interrupted; the rollout is recorded in {runner.path}: run `mdpool rollout {image}` again to continue "
                f"(or `mdpool rollout {image} --abort` to roll it back)"
            ) from None
        finally:
            close()
        if outcome.ok:
            for line in outcome.lines:
                echo(line)
        if json_output:  # the rollout state as `report`; a rollback's line as the problem
            emit_json(
                {"rollout": outcome.state.to_json() if outcome.state else None, "lines": outcome.lines},
                problems=[] if outcome.ok else outcome.lines,
                exit_code=0 if outcome.ok else 1,
            )
        if not outcome.ok:
            raise DeployError(outcome.lines)

    session.run(run, needs_credential=True)
