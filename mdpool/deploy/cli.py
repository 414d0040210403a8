"""`mdpool plan` and `mdpool deploy`: synth, then the staged flow of mdpool.deploy.orchestrator.

Kept cheap to import: the provider bindings (synth), the Azure SDK (image builds) and rich load
inside the commands. The terraform binary is checked before anything slow happens, so a missing
or old one costs the user a second, not a synth.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from mdpool.cli_support import DEFAULT_CONFIG, ConfigOption, emit_json, fail, json_requested
from mdpool.deploy.stages import Stage

OutOption = Annotated[
    Path, typer.Option("--out", "-o", help="Synth output folder; state lives beside it (local backend).")
]
TerraformBinOption = Annotated[
    Optional[str],
    typer.Option(
        "--terraform-bin",
        help="terraform or tofu executable (name on PATH or path); default $MDPOOL_TERRAFORM, else terraform.",
        show_default=False,
    ),
]
NoSynthOption = Annotated[
    bool,
    typer.Option(
        "--no-synth",
        help="Use the synth output already in --out (e.g. the one reviewed in a pull request) instead of synthesizing.",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", callback=json_requested,
                       help="Print a JSON summary on stdout (progress goes to stderr), for CI; failures too.")
]


def plan(
    config: ConfigOption = DEFAULT_CONFIG,
    out: OutOption = Path("cdktf.out"),
    terraform_bin: TerraformBinOption = None,
    no_synth: NoSynthOption = False,
    json_summary: JsonOption = False,
) -> None:
    """Synthesize, then plan the gallery stack, and the pool stack once the gallery is deployed. Applies nothing."""
    session = _Session(config, out, terraform_bin, json_summary, no_synth=no_synth)
    session.run(lambda deployment: deployment.plan())


def deploy(
    config: ConfigOption = DEFAULT_CONFIG,
    out: OutOption = Path("cdktf.out"),
    terraform_bin: TerraformBinOption = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Apply each stack's plan without asking (CI).")
    ] = False,
    allow_replace: Annotated[
        Optional[list[str]],
        typer.Option(
            "--allow-replace",
            metavar="ADDRESS_OR_NAME",
            help="Accept that the plan replaces or destroys this protected resource (gallery, image definition, "
            "pool), by Terraform address or Azure name. Repeatable.",
            show_default=False,
        ),
    ] = None,
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=32, help="Image builds at once.")] = 4,
    force_build: Annotated[
        bool, typer.Option("--force-build", help="Rebuild every image, even one whose content already has a version.")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.01, help="Seconds between status checks of a running image build.")
    ] = 30.0,
    stage: Annotated[
        Optional[list[Stage]],
        typer.Option(
            "--stage",
            metavar="gallery|images|pool",
            help="Run only this stage: gallery (apply the gallery stack), images (build the images that need it) "
            "or pool (apply the pool stack). Repeatable; the stages run in deploy order. Default: all three.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    no_synth: NoSynthOption = False,
    json_summary: JsonOption = False,
) -> None:
    """Synthesize, then apply the gallery stack, build the images that need it, and apply the pool stack.

    Run it again after a failure or an interruption: every stage continues from where it stopped.
    """
    from mdpool.deploy.stages import in_order

    stages = in_order(stage or [])
    applies = Stage.GALLERY in stages or Stage.POOL in stages  # the image builds ask nothing
    session = _Session(config, out, terraform_bin, json_summary, asks=applies and not auto_approve,
                       no_synth=no_synth)
    session.run(
        lambda deployment: deployment.deploy(stages),
        auto_approve=auto_approve,
        allow_replace=allow_replace or [],
        parallel=parallel,
        force_build=force_build,
        poll_interval=poll_interval,
    )


class _Session:
    """What both commands share: the checks that fail fast, synth, and the exit codes."""

    def __init__(self, config: Path, out: Path, terraform_bin: str | None, json_summary: bool,
                 asks: bool = False, no_synth: bool = False) -> None:
        from rich.console import Console

        from mdpool.cli_support import load_environment_or_exit
        from mdpool.deploy.errors import DeployError
        from mdpool.deploy.terraform import Terraform

        self.json_summary = json_summary
        # with --json, stdout carries the summary alone; everything for people goes to stderr
        self.console = Console(stderr=json_summary, highlight=False)
        try:
            self.terraform = Terraform.create(
                terraform_bin, echo=self._echo, color=self.console.is_terminal and not json_summary
            )
        except DeployError as error:
            fail(error.lines)
        if asks and not sys.stdin.isatty():
            fail(["mdpool deploy asks before applying each stack, but stdin is not a terminal; "
                  "pass --auto-approve to apply without asking (CI)"])
        self.config_path = config
        self.cfg = load_environment_or_exit(config)  # an hour-long build must not fail on a typo
        self.out = out
        self.no_synth = no_synth

    def _echo(self, line: str) -> None:
        from rich.text import Text

        # terraform's own colours (on a terminal) are kept; its lines are dimmed next to mdpool's
        self.console.print(Text.from_ansi(line, style="dim"), soft_wrap=True)

    def run(self, action, *, auto_approve: bool = True, allow_replace=(), parallel: int = 4,
            force_build: bool = False, poll_interval: float = 30.0) -> None:
        from mdpool.deploy.errors import DeployError
        from mdpool.deploy.images import ImageBuildStage
        from mdpool.deploy.orchestrator import Deployment, Interrupted, SynthOutput
        from mdpool.imagebuild.builder import BuildOptions
        from mdpool.synth import synthesize

        deployment = None
        try:
            if not self.no_synth:
                with self.console.status(f"synthesizing {self.config_path} into {self.out}"):
                    synthesize(self.cfg, self.out)
                self.console.print(f"synthesized {self.cfg.gallery_stack} and {self.cfg.pool_stack} into {self.out}")
            synth = SynthOutput.load(self.out)
            if synth.environment != self.cfg.environment:
                raise DeployError(f"{self.out}: holds the stacks of environment {synth.environment!r}, but "
                                  f"{self.config_path} describes {self.cfg.environment!r}; synthesize it again")
            deployment = Deployment(
                synth,
                self.terraform,
                ImageBuildStage(self.cfg, console=self.console, options=BuildOptions(
                    force=force_build, parallel=parallel, poll_interval=poll_interval,
                    # as `mdpool images build`: a fresh role assignment is retried at about the poll pace
                    auth_retry_interval=max(min(60.0, poll_interval * 2), 0.01))),
                console=self.console,
                confirm=None if auto_approve else self._confirm,
                allow_replace=allow_replace,
            )
            action(deployment)
        except Interrupted as interrupted:
            self._finish(deployment)
            fail([str(interrupted)], code=130)
        except KeyboardInterrupt:  # before the stages began (synth): nothing to continue
            fail(["interrupted before anything was planned or applied"], code=130)
        except DeployError as error:
            self._finish(deployment)
            fail(error.lines)
        self._finish(deployment)

    def _confirm(self, question: str) -> bool:
        try:
            return typer.confirm(question, default=False, err=self.json_summary)
        except typer.Abort:  # Ctrl-C or end of input at the prompt: stop as an interruption does
            raise KeyboardInterrupt from None

    def _finish(self, deployment) -> None:
        if self.json_summary and deployment is not None and deployment.report is not None:
            emit_json(deployment.report.to_json())
