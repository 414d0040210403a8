"""`mdpool plan` and `mdpool deploy`: synth, then the staged flow of mdpool.deploy.orchestrator.

Kept cheap to import: the provider bindings (synth), the Azure SDK (image builds) and rich load
inside the commands. The terraform binary is checked before anything slow happens, so a missing
or old one costs the user a second, not a synth.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from mdpool.cli_support import DEFAULT_CONFIG, POLL_INTERVAL_BOUNDS, ConfigOption, emit_json, fail, json_requested, keep_report
from mdpool.completion import pool_names
from mdpool.deploy.stages import Stage

OutOption = Annotated[Path, typer.Option("--out", "-o", help="Synth output folder; state lives beside it (local backend).")]
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
PoolOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--pool",
        metavar="NAME",
        show_default=False,
        help="Only this pool of `pools:` in the pool stage (its short name). Repeatable; default: every pool.",
        autocompletion=pool_names,
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", callback=json_requested, help="Print a JSON summary on stdout (progress goes to stderr), for CI; failures too."
    ),
]


# Every stage of a plan runs terraform, whose azurerm and azapi providers need an Azure credential to
# plan anything, the gallery stage included (azurerm's provider docs: "The provider needs to be
# configured with ... credentials needed to generate OAuth tokens for the ARM API"); the images stage
# also reads gallery versions with the Azure SDK. So the sign-in is checked first, as `deploy` does before a build: one line, before the
# synth and `terraform init`, instead of a provider's error after them.
PLAN_NEEDS_CREDENTIAL = True


def plan(
    config: ConfigOption = DEFAULT_CONFIG,
    out: OutOption = Path("cdktf.out"),
    terraform_bin: TerraformBinOption = None,
    no_synth: NoSynthOption = False,
    json_summary: JsonOption = False,
    pool: PoolOption = None,
    stage: Annotated[
        Optional[Stage],
        typer.Option(
            "--stage",
            metavar="gallery|images|pool",
            case_sensitive=False,
            show_default=False,
            help="Plan only this stage (images: which images a deploy would build, and why).",
        ),
    ] = None,
    save: Annotated[
        Optional[Path],
        typer.Option(
            "--save",
            metavar="DIR",
            show_default=False,
            help="With --stage: save the plan, its summary.md and the synth output in DIR, for "
            "`mdpool deploy --plan DIR` to apply exactly it. Plans can hold secrets: keep DIR private.",
        ),
    ] = None,
    allow_replace: Annotated[
        Optional[list[str]],
        typer.Option(
            "--allow-replace",
            metavar="ADDRESS_OR_NAME",
            show_default=False,
            help="With --save: accept that the plan replaces or destroys this protected resource.",
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Do not ask the Azure Retail Prices API: the standby cost uses prices read before (cached), else says unknown.",
        ),
    ] = False,
) -> None:
    """Synthesize, then plan the gallery stack, and the pool stack once the gallery is deployed. Applies nothing."""
    if stage is None:
        if save is not None:
            fail(["--save needs --stage gallery|images|pool: a saved plan is one stage's plan"], code=2)
        from mdpool.deploy.saved_plan import say_images_after_plan

        session = _Session(config, out, terraform_bin, json_summary, no_synth=no_synth, pools=pool)

        def plan_then_images(deployment) -> None:
            from mdpool.cost.summary import say_standby_cost

            deployment.plan()
            say_images_after_plan(deployment)  # which images a deploy would build, and why
            say_standby_cost(deployment, offline=offline)  # what the pools' standby agents cost a month

        session.run(plan_then_images, needs_credential=PLAN_NEEDS_CREDENTIAL)
        return
    from mdpool.deploy.errors import DeployError
    from mdpool.deploy.saved_plan import PlanFolder, plan_stage

    if save is not None:
        try:  # before the synth and the plan: a wrong --save writes nothing
            PlanFolder.refuse_unusable(save)
        except DeployError as error:
            fail(error.lines)
    command = "mdpool deploy --plan DIR" if save is not None else "mdpool deploy"
    session = _Session(config, out, terraform_bin, json_summary, no_synth=no_synth, pools=pool)

    def plan_one_stage(deployment) -> None:
        from mdpool.cost.summary import say_standby_cost

        plan_stage(deployment, stage, save, command=command)
        if stage is Stage.POOL:
            say_standby_cost(deployment, offline=offline)

    session.run(plan_one_stage, allow_replace=allow_replace or [], needs_credential=PLAN_NEEDS_CREDENTIAL)


def deploy(
    config: ConfigOption = DEFAULT_CONFIG,
    out: OutOption = Path("cdktf.out"),
    terraform_bin: TerraformBinOption = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Apply each stack's plan without asking (CI).")] = False,
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
        # bounds: mdpool.cli_support.POLL_INTERVAL_BOUNDS says why
        float,
        typer.Option(
            "--poll-interval",
            min=POLL_INTERVAL_BOUNDS[0],
            max=POLL_INTERVAL_BOUNDS[1],
            help="Seconds between status checks of a running image build (0.01 to 600).",
        ),
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
    pool: PoolOption = None,
    recycle: Annotated[
        bool,
        typer.Option(
            "--recycle",
            help="After the pool stage, delete idle agents on older image versions (also on with pool.recycle_after_build).",
        ),
    ] = False,
    skip_checks: Annotated[
        bool, typer.Option("--skip-checks", help="Do not run the cheap `mdpool doctor` checks before deploying.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="After the pool stage, run `mdpool verify`'s checks; exit 1 when one fails (the pool does not serve)."
        ),
    ] = False,
    plan_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--plan",
            metavar="DIR",
            show_default=False,
            help="Apply exactly the plan `mdpool plan --stage S --save DIR` saved (no synth, no new plan); "
            "a plan the state moved past is refused: plan the stage again.",
        ),
    ] = None,
) -> None:
    """Synthesize, then apply the gallery stack, build the images that need it, and apply the pool stack.

    Run it again after a failure or an interruption: every stage continues from where it stopped.
    """
    from mdpool.deploy.stages import in_order

    if plan_dir is not None:
        _deploy_saved(
            plan_dir, stage, config, out, terraform_bin, json_summary, allow_replace or [], parallel, poll_interval, recycle
        )
        return

    stages = in_order(stage or [])
    applies = Stage.GALLERY in stages or Stage.POOL in stages  # the image builds ask nothing
    session = _Session(
        config, out, terraform_bin, json_summary, asks=applies and not auto_approve, no_synth=no_synth, pools=pool
    )
    builds = Stage.IMAGES in stages and any(image.build for image in session.cfg.gallery.images)
    # without the images stage, the pool stage asks Azure whether its pools' gallery images have versions
    reads_versions = (
        Stage.POOL in stages
        and Stage.IMAGES not in stages
        and any(image.gallery_image for p in session.selected_pools for image in p.images)
    )
    session.run(
        lambda deployment: deployment.deploy(stages),
        needs_credential=builds or reads_versions,
        auto_approve=auto_approve,
        allow_replace=allow_replace or [],
        parallel=parallel,
        force_build=force_build,
        poll_interval=poll_interval,
        recycle=recycle or any(p.recycle_after_build for p in session.selected_pools),
        preflight=None if skip_checks else session.preflight,
        verify=verify and Stage.POOL in stages,
        rollout=session.cfg.rollout.strategy == "canary" and Stage.IMAGES in stages,
    )


def _deploy_saved(
    plan_dir: Path,
    stage,
    config: Path,
    out: Path,
    terraform_bin: str | None,
    json_summary: bool,
    allow_replace: list[str],
    parallel: int,
    poll_interval: float,
    recycle: bool,
) -> None:
    from mdpool.deploy.errors import DeployError
    from mdpool.deploy.saved_plan import SavedPlan, apply_saved, place_synth

    try:
        saved = SavedPlan.load(plan_dir)
    except DeployError as error:
        fail(error.lines)
    if stage and set(stage) != {saved.stage}:
        fail([f"{plan_dir}: holds the {saved.stage.value} stage's plan; --stage names another stage"], code=2)
    session = _Session(config, out, terraform_bin, json_summary, no_synth=True, prepare=lambda: place_synth(saved, out))
    session.run(
        lambda deployment: apply_saved(deployment, saved, allow_replace),
        allow_replace=allow_replace,
        parallel=parallel,
        poll_interval=poll_interval,
        needs_credential=saved.stage is Stage.IMAGES,
        recycle=recycle or any(p.recycle_after_build for p in session.cfg.pools),
    )


class _Session:
    """What both commands share: the checks that fail fast, synth, and the exit codes."""

    def __init__(
        self,
        config: Path,
        out: Path,
        terraform_bin: str | None,
        json_summary: bool,
        asks: bool = False,
        no_synth: bool = False,
        prepare=None,
        pools: list[str] | None = None,
    ) -> None:
        from mdpool.cli_support import load_environment_or_exit
        from mdpool.deploy.errors import DeployError
        from mdpool.deploy.terraform import Terraform
        from mdpool.printed import console

        self.json_summary = json_summary
        # with --json, stdout carries the summary alone; everything for people goes to stderr
        self.console = console(stderr=json_summary)
        try:
            self.terraform = Terraform.create(terraform_bin, echo=self._echo, color=self.console.is_terminal and not json_summary)
        except DeployError as error:
            fail(error.lines)
        if asks and not sys.stdin.isatty():
            fail(
                [
                    "mdpool deploy asks before applying each stack, but stdin is not a terminal; "
                    "pass --auto-approve to apply without asking (CI)"
                ]
            )
        self.config_path = config
        self.cfg = load_environment_or_exit(config)  # an hour-long build must not fail on a typo
        self.out = out
        self.no_synth = no_synth
        self.prepare = prepare  # instead of a synth: e.g. put a saved plan's synth output in place
        self.selected_pools = _selected_pools(self.cfg, pools)  # --pool: the pool stage's pools

    def _echo(self, line: str) -> None:
        from rich.text import Text

        from mdpool.printed import shown_terminal_line

        # terraform's own colours (on a terminal) are kept, any other control character shown as its
        # code (a plan prints config values); its lines are dimmed next to mdpool's
        self.console.print(Text.from_ansi(shown_terminal_line(line), style="dim"), soft_wrap=True)

    def run(
        self,
        action,
        *,
        auto_approve: bool = True,
        allow_replace=(),
        parallel: int = 4,
        force_build: bool = False,
        poll_interval: float = 30.0,
        recycle: bool = False,
        needs_credential: bool = False,
        preflight: Callable[[], None] | None = None,
        verify: bool = False,
        rollout: bool = False,
    ) -> None:
        from contextlib import nullcontext

        from mdpool.deploy.errors import DeployError
        from mdpool.deploy.images import ImageBuildStage
        from mdpool.deploy.orchestrator import Deployment, Interrupted, SynthOutput
        from mdpool.imagebuild.builder import BuildOptions
        from mdpool.output_folder import output_lock
        from mdpool.printed import cell
        from mdpool.problems import InputError
        from mdpool.rollout.state import state_path
        from mdpool.signals import stop_signals
        from mdpool.synth import check_target, synthesize

        deployment = None
        # SIGTERM/SIGHUP (a CI cancel, `timeout`, `docker stop`) stop the run as Ctrl-C does; the output
        # folder stays locked for the whole run, so no synth swaps it under a running terraform
        with stop_signals() as caught:
            try:
                writes = not self.no_synth or self.prepare is not None  # a synth, or a saved plan's synth placed
                if writes:  # refused before anything is created, the lock file included
                    check_target(self.cfg, self.out)
                connection = self._checked_connection(poll_interval) if needs_credential else None
                if preflight is not None:  # after the local checks: a bad --out or sign-in is told first
                    preflight()
                with output_lock(self.out) if writes or self.out.is_dir() else nullcontext():
                    if not self.no_synth:
                        with self.console.status(cell(f"synthesizing {self.config_path} into {self.out}")):
                            synthesize(self.cfg, self.out, locked=True)
                        stacks = [self.cfg.gallery_stack, *self.cfg.pool_stacks]
                        self.console.print(f"synthesized {', '.join(stacks[:-1])} and {stacks[-1]} into {self.out}")
                    if self.prepare is not None:
                        self.prepare()
                    synth = SynthOutput.load(self.out)
                    if synth.environment != self.cfg.environment:
                        raise DeployError(
                            f"{self.out}: holds the stacks of environment {synth.environment!r}, "
                            f"but {self.config_path} describes {self.cfg.environment!r}; "
                            "synthesize it again"
                        )

                    def make_deployment(**hooks) -> Deployment:
                        return Deployment(
                            synth,
                            self.terraform,
                            ImageBuildStage(
                                self.cfg,
                                console=self.console,
                                connection=connection,
                                rollout_state=state_path(self.cfg, self.out),  # a rollout's versions are kept
                                options=BuildOptions(
                                    force=force_build,
                                    parallel=parallel,
                                    poll_interval=poll_interval,
                                    # as `mdpool images build`: a fresh role assignment is retried at about the poll pace
                                    auth_retry_interval=max(min(60.0, poll_interval * 2), 0.01),
                                ),
                            ),
                            console=self.console,
                            confirm=None if auto_approve else self._confirm,
                            allow_replace=allow_replace,
                            **hooks,
                        )

                    deployment = make_deployment(
                        recycle=self._recycle if recycle else None,
                        pools=[self.cfg.stack_of(p) for p in self.selected_pools],
                        rollout=self._rollouts(connection, make_deployment) if rollout else None,
                        verify=self._verify if verify else None,
                    )
                    action(deployment)
            except Interrupted as interrupted:
                self._finish(deployment)
                fail([str(interrupted)], code=caught.exit_code)
            except KeyboardInterrupt:  # before the stages began (synth): nothing to continue
                fail(["interrupted before anything was planned or applied"], code=caught.exit_code)
            except InputError as error:  # an --out that is not ours to replace, or in use by another run
                fail(error.problems)
            except DeployError as error:
                self._finish(deployment)
                fail(error.lines)
        self._finish(deployment)
        if self.json_summary:
            emit_json()

    def preflight(self) -> None:
        """The cheap `mdpool doctor` checks (quota, pool name, permissions...): seconds now, not an hour later."""
        from mdpool.doctor.command import preflight

        preflight(self.cfg, echo=lambda line: self.console.print(line, markup=False, highlight=False, soft_wrap=True))

    def _verify(self):
        from mdpool.verify.command import run_verify

        return run_verify(self.cfg, self.out, echo=None)

    def _rollouts(self, connection, make_deployment):
        """The images stage's canary rollouts (rollout.strategy canary): mdpool.rollout, on this session's terraform."""

        def roll_out(built):
            from mdpool.deploy.stages import Stage
            from mdpool.rollout.command import build_rollout, rollout_endpoints
            from mdpool.rollout.deploy_stage import roll_out_built
            from mdpool.synth import synthesize

            def apply_pool() -> None:
                synthesize(self.cfg, self.out, locked=True)  # the rollout state decides what the pool stacks say
                make_deployment().deploy([Stage.POOL])

            say = lambda line: self.console.print(line, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
            runner, close = build_rollout(self.cfg, self.out, rollout_endpoints(connection), apply_pool, say)
            try:
                return roll_out_built(runner, built, lambda: make_deployment().pool_deployed())
            finally:
                close()

        return roll_out

    def _recycle(self, stack: str):
        from mdpool.deploy.recycle import recycle_pool

        pool = next(p for p in self.cfg.pools if self.cfg.stack_of(p) == stack)
        return recycle_pool(self.cfg, pool=pool)

    def _checked_connection(self, poll_interval: float):
        """Azure, with a credential that has given a token: checked before anything is synthesized or applied."""
        from mdpool.azure_credential import CredentialProblem, checked_credential
        from mdpool.imagebuild.builder import Connection

        base = Connection.from_environment()
        try:
            credential = checked_credential(base.credential)
        except CredentialProblem as error:
            fail([str(error)])
        return Connection(credential, base.endpoint, base.verify, {"polling_interval": min(poll_interval, 10.0)})

    def _confirm(self, question: str) -> bool:
        try:
            return typer.confirm(question, default=False, err=self.json_summary)
        except typer.Abort:  # Ctrl-C or end of input at the prompt: stop as an interruption does
            raise KeyboardInterrupt from None

    def _finish(self, deployment) -> None:
        """Keep the run's report: the JSON document (--json) carries it, whether the run ends well or not."""
        if deployment is not None and deployment.report is not None:
            keep_report(deployment.report.to_json())


def _selected_pools(cfg, names: list[str] | None) -> list:
    """The pools `--pool NAME` picks (names compared ignoring case, as the rules do); all without it."""
    if not names:
        return list(cfg.pools)
    keys = [p.key for p in cfg.pools if p.key is not None]
    if not keys:
        fail(["--pool picks pools of `pools:`; this config has one pool (`pool:`): leave --pool out"], code=2)
    wanted = {name.casefold() for name in names}
    unknown = sorted(name for name in names if name.casefold() not in {key.casefold() for key in keys})
    if unknown:
        fail([f"--pool {name}: no such pool; allowed: {', '.join(keys)}" for name in unknown], code=2)
    return [p for p in cfg.pools if p.key is not None and p.key.casefold() in wanted]
