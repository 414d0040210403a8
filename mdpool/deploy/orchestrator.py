"""The staged deploy: gallery stack -> image builds -> pool stack, in the only order Azure accepts.

A pool that references a gallery image without a version stays failed (the blog's "slight hitch"),
so the gallery stack is applied first, then every image that needs it is built into the gallery,
and only then is the pool stack planned and applied.

`deploy(stages)` runs a chosen subset of those stages (a pipeline runs each behind its own
approval). A stage needs what the earlier ones leave behind: the image builds and the pool read the
gallery stack's outputs from its state, and the pool needs a version of every gallery image it uses.
When the stage that provides it ran in the same deploy, that is given (the deploy stops at the
first stage that fails); otherwise the stage checks it first and refuses, one line, naming the
stage to run first.

Every stage is idempotent, which is what makes a deploy resumable: Terraform re-plans from its
state (an applied stack plans "no changes"), and the image-build flow skips an image whose current
content already has a version and reattaches to a build of the same content that is still running.
So a deploy that was interrupted or failed is simply run again and continues where it stopped; a
rerun with nothing changed builds nothing, applies nothing and says so.

The orchestrator works on a synthesized output directory (`manifest.json` + `stacks/<name>/`) and an
image-build service object, so it runs the same against Azure and against the tests' stand-ins.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping, Protocol, Sequence

from rich.console import Console
from rich.text import Text

from mdpool.deploy.errors import DeployError, NotReady
from mdpool.deploy.migration import offers_import, plan_variables
from mdpool.deploy.plan_summary import PlanSummary, render_table, summarize
from mdpool.printed import cell
from mdpool.deploy.retention import describe as describe_retention
from mdpool.deploy.protection import (
    PROTECTED_KINDS,
    ProtectionPolicy,
    prevent_destroy_addresses,
    prevent_destroy_lifted,
)
from mdpool.deploy.stages import ALL_STAGES, Stage, in_order
from mdpool.deploy.terraform import Output, StackTerraform, Terraform

PLAN_FILE = "mdpool.tfplan"  # inside each stack directory; removed after use (plans can hold secrets)


# --- the synthesized output --------------------------------------------------------------------


@dataclass(frozen=True)
class SynthOutput:
    """A synthesized output directory: the gallery stack, one stack per pool, and where they live."""

    root: Path
    gallery: str
    pools: tuple[str, ...]
    directories: Mapping[str, Path]

    @property
    def pool(self) -> str:
        """The first pool stack (the only one of a one-pool config)."""
        return self.pools[0]

    @property
    def environment(self) -> str:
        return self.gallery.removeprefix("gallery-")

    def directory(self, stack: str) -> Path:
        return self.directories[stack]

    @classmethod
    def load(cls, root: Path) -> "SynthOutput":
        from mdpool.synth import read_synth_output

        from mdpool.deploy.output_check import check_synth_output
        from mdpool.problems import InputError

        manifest_path = root / "manifest.json"
        try:
            directories = read_synth_output(root).stacks
        except InputError as error:
            raise DeployError([f"{manifest_path}: not a synthesized output ({p.message})" for p in error.problems]) from None
        except OSError as error:
            raise DeployError(f"{manifest_path}: not a synthesized output ({error}); run `mdpool synth` first") from None
        galleries = sorted(name for name in directories if name.startswith("gallery-"))
        pools = sorted(name for name in directories if name.startswith("pool-"))
        if len(galleries) != 1 or not pools:
            raise DeployError(
                f"{manifest_path}: stacks {sorted(directories)}; expected exactly one gallery-<env> and pool stacks"
            )
        # each stack file present, regular, bounded and of mdpool's kind (a missing one says run synth again)
        problems = check_synth_output(directories, root)  # only what mdpool writes reaches Terraform
        if problems:
            raise DeployError(problems)
        return cls(root=root, gallery=galleries[0], pools=tuple(pools), directories=directories)


# --- image builds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageResult:
    """What happened to one image: built (or reattached and finished), skipped as up to date, or failed."""

    name: str
    outcome: str  # "built" | "reattached" | "skipped" | "failed" | "interrupted"
    version_id: str | None = None
    seconds: float = 0.0
    message: str | None = None  # why it failed, with the log location when Azure gave one
    slowest_phase: str | None = None  # e.g. "Customizing 31:02": the build's longest phase, as polled
    retention: dict[str, Any] | None = None  # old versions deleted (or, in a plan, to delete) and why others stay

    @property
    def ok(self) -> bool:
        return self.outcome in ("built", "reattached", "skipped")


class ImageBuilds(Protocol):
    """The image-build stage as the orchestrator sees it (mdpool.deploy.images adapts the build flow)."""

    def names(self) -> Sequence[str]:
        """The images that have build settings, i.e. that this stage may build."""

    def build(self, gallery_outputs: Mapping[str, Output]) -> Sequence[ImageResult]:
        """Build what needs building (in parallel), skip what is up to date, reattach to running builds."""

    def without_version(self, gallery_outputs: Mapping[str, Output], stack: str) -> Sequence[str]:
        """The gallery images the pool of `stack` uses that have no version (the pinned one, if pinned) yet."""


# --- what happened -----------------------------------------------------------------------------


@dataclass
class StackReport:
    name: str
    status: str = "pending"  # applied | no changes | planned | not planned | refused | declined | failed
    changes: dict[str, int] = field(default_factory=dict)
    outputs_changed: bool = False
    seconds: float = 0.0
    note: str | None = None

    @property
    def applied(self) -> bool:
        return self.status == "applied"


@dataclass
class Report:
    """What a plan or deploy did, for people (`lines`) and for CI (`to_json`)."""

    command: str
    environment: str
    stacks: list[StackReport] = field(default_factory=list)
    images: list[ImageResult] = field(default_factory=list)
    result: str = "running"  # succeeded | nothing to do | planned | failed | refused | declined | interrupted
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    selected: list[str] = field(default_factory=list)  # the stages asked for, in deploy order
    ran: list[str] = field(default_factory=list)  # the stages begun; the last one may have failed
    static_ip_addresses: list[str] = field(default_factory=list)  # the pool's, once applied
    recycled: int | None = None  # idle agents deleted by --recycle (None: not asked)
    recycle_waiting: int | None = None  # agents on older versions left for later (busy, or beyond the batch)
    standby_cost: list[dict[str, Any]] = field(default_factory=list)  # per pool, after a plan (mdpool.cost.summary)
    rollouts: list[str] = field(default_factory=list)  # what each canary rollout of the images stage ended in
    verify: list[dict[str, str]] | None = None  # `mdpool verify`'s rows after the pool stage (None: not asked)

    @property
    def rerun(self) -> str:
        """The command that runs the same stages again (and so continues where this one stopped)."""
        if self.command == "deploy" and self.selected and tuple(self.selected) != tuple(s.value for s in ALL_STAGES):
            return "mdpool deploy " + " ".join(f"--stage {stage}" for stage in self.selected)
        return f"mdpool {self.command}"

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "environment": self.environment,
            "result": self.result,
            "stages": {"selected": self.selected, "ran": self.ran},
            "seconds": round(self.seconds, 2),
            "stacks": [{**asdict(stack), "applied": stack.applied, "seconds": round(stack.seconds, 2)} for stack in self.stacks],
            "images": [{**asdict(image), "seconds": round(image.seconds, 2)} for image in self.images],
            "errors": self.errors,
            "static_ip_addresses": self.static_ip_addresses,
            "recycle": None if self.recycled is None else {"recycled": self.recycled, "waiting": self.recycle_waiting},
            "standby_cost": self.standby_cost,
            "rollouts": self.rollouts,
            "verify": self.verify,
        }


class Interrupted(Exception):
    """Ctrl-C: nothing is cancelled, a rerun continues (exit 130)."""


Confirm = Callable[[str], bool]


@dataclass
class _Run:
    """One deploy's stages and what an earlier stage hands on to a later one."""

    stages: tuple[Stage, ...]
    gallery_outputs: Mapping[str, Output] | None = None


# --- the stages --------------------------------------------------------------------------------


class Deployment:
    """Plan or deploy one synthesized environment.

    `confirm` asks before each apply (None: apply without asking, as `--auto-approve` does);
    `allow_replace` names the protected resources the user accepts to lose (address or Azure name).
    """

    def __init__(
        self,
        synth: SynthOutput,
        terraform: Terraform,
        images: ImageBuilds,
        *,
        console: Console,
        confirm: Confirm | None = None,
        allow_replace: Iterable[str] = (),
        policy: ProtectionPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        recycle: Callable[[str], Any] | None = None,
        pools: Sequence[str] | None = None,
        rollout: Callable[[Sequence[str]], list[str]] | None = None,
        verify: Callable[[], Sequence[Any]] | None = None,
    ) -> None:
        self.synth = synth
        self.terraform = terraform
        self.images = images
        self.console = console
        self.confirm = confirm
        self.allow_replace = tuple(allow_replace)
        self.policy = policy or ProtectionPolicy()
        self.clock = clock
        self.recycle = recycle  # after each pool stack: mdpool.deploy.recycle.recycle_pool (--recycle), by stack
        # the pool stacks the pool stage works on (--pool): all by default, in the synth's order
        self.pool_stacks = tuple(synth.pools) if pools is None else tuple(s for s in synth.pools if s in set(pools))
        # after the images stage, with rollout.strategy canary: each built image through its canary (mdpool.rollout);
        # returns what each ended in, raises DeployError naming the failed run on a rollback
        self.rollout = rollout
        self.verify = verify  # after the pool stage: `mdpool verify`'s checks (--verify); a failed row fails the deploy
        self.report: Report | None = None  # the last run's report, also when it ended in an error
        self._allowed_used: set[str] = set()

    # -- mdpool plan ---------------------------------------------------------------------------

    def plan(self) -> Report:
        """Plan the gallery stack, and the pool stack once the gallery has been deployed; apply nothing."""
        report = self.report = Report(
            command="plan", environment=self.synth.environment, selected=[Stage.GALLERY.value, Stage.POOL.value]
        )
        with self._running(report):
            gallery = self._stack(self.synth.gallery)
            report.ran.append(Stage.GALLERY.value)
            summary = self._plan_stack(gallery, report)
            self._warn_refusals(summary)
            if not gallery.outputs():
                for pool in self.pool_stacks:
                    report.stacks.append(
                        StackReport(pool, status="not planned", note=f"{self.synth.gallery} is not deployed yet")
                    )
                    self._say(
                        f"{pool}: not planned yet; it reads {self.synth.gallery}'s outputs, so it is "
                        f"planned after the gallery is deployed (`mdpool deploy` does both, in order)"
                    )
            else:
                report.ran.append(Stage.POOL.value)
                for pool in self.pool_stacks:  # one plan per pool stack, each its own row
                    if summary.outputs_changed:
                        self._say(
                            f"{pool}: planned against {self.synth.gallery}'s current outputs, which the "
                            f"gallery plan changes; its plan may change once the gallery is applied"
                        )
                    self._warn_refusals(self._plan_stack(self._stack(pool), report))
            report.result = "planned"
        self._say(
            f"nothing was applied; `mdpool deploy` applies the stacks in order, with the image builds between "
            f"them ({report.seconds:.1f} s)"
        )
        return report

    # -- mdpool deploy -------------------------------------------------------------------------

    def deploy(self, stages: Iterable[Stage | str] = ALL_STAGES) -> Report:
        """Run the chosen stages (all by default) in order: gallery stack -> image builds -> pool stack.

        Stops at the first stage that fails or refuses; a stage whose prerequisites an earlier
        deploy should have left (gallery state, image versions) checks them and refuses without them.
        """
        chosen = in_order(stages)
        report = self.report = Report(
            command="deploy", environment=self.synth.environment, selected=[stage.value for stage in chosen]
        )
        run = _Run(chosen)
        steps = {Stage.GALLERY: self._gallery_stage, Stage.IMAGES: self._images_stage, Stage.POOL: self._pool_stage}
        with self._running(report):
            for stage in chosen:
                report.ran.append(stage.value)
                steps[stage](run, report)
            nothing = not any(s.applied for s in report.stacks) and all(i.outcome == "skipped" for i in report.images)
            report.result = "nothing to do" if nothing else "succeeded"
            for token in self.allow_replace:
                if token not in self._allowed_used:
                    self._say(f"note: --allow-replace {token} named nothing that this deploy replaced or destroyed")
        self._say_outcome(report)
        return report

    def _gallery_stage(self, run: "_Run", report: Report) -> None:
        self._deploy_stack(self._stack(self.synth.gallery), report)

    def _images_stage(self, run: "_Run", report: Report) -> None:
        self._build_images(self._gallery_outputs(run, Stage.IMAGES), report, run)
        built = [result.name for result in report.images if result.outcome in ("built", "reattached")]
        if self.rollout is not None:  # also with nothing built: a rollout an earlier deploy left under way resumes
            for line in self.rollout(built):
                report.rollouts.append(line)
                self._say(line)

    # -- one stage's plan, kept for `mdpool plan --stage S --save DIR` (mdpool.deploy.saved_plan) ---

    def plan_stage(self, stage: Stage) -> tuple[StackTerraform, PlanSummary]:
        """Plan the gallery or pool stack (with the checks its deploy stage makes first) and keep the plan file."""
        report = self.report = Report(command="plan", environment=self.synth.environment, selected=[stage.value])
        run = _Run((stage,))
        with self._running(report):
            report.ran.append(stage.value)
            if stage is Stage.POOL:
                if len(self.pool_stacks) != 1:  # a saved plan is one stack's plan
                    raise DeployError(
                        f"the pool stage has {len(self.pool_stacks)} stacks ({', '.join(self.pool_stacks)}); "
                        "plan one at a time: --pool NAME"
                    )
                self._pool_prerequisites(run, self.pool_stacks[0])
            terraform = self._stack(self.pool_stacks[0] if stage is Stage.POOL else self.synth.gallery)
            summary = self._plan_stack(terraform, report, keep=True)
            refused = summary.refused(self.allow_replace)
            if refused:  # refused before the approval, not after it
                report.stacks[-1].status = "refused"
                self._remove_plan(terraform)
                raise DeployError([self._refusal(summary.stack, change) for change in refused])
            report.result = "planned"
        return terraform, summary

    def _pool_stage(self, run: "_Run", report: Report) -> None:
        for pool in self.pool_stacks:  # each pool stack on its own: checked, planned, applied, recycled
            self._pool_prerequisites(run, pool)
            self._deploy_stack(self._stack(pool), report)
            self.after_pool(report, pool)
        if self.verify is not None:  # once every pool stack is applied: does the fleet serve?
            self._verify(report)

    def after_pool(self, report: Report, pool: str | None = None) -> None:
        """Once a pool stack is applied: its static addresses, then the opt-in recycle of old agents."""
        pool = pool or self.synth.pool
        if report.stacks and report.stacks[-1].applied:
            self._report_static_ips(report, pool)
        if self.recycle is not None:
            result = self.recycle(pool)
            report.recycled = (report.recycled or 0) + result.recycled
            report.recycle_waiting = (report.recycle_waiting or 0) + result.waiting
            self._say(result.line(pool))

    def _verify(self, report: Report) -> None:
        """`mdpool verify`'s rows, printed as it prints them; a failed one fails the deploy (the stacks stay applied)."""
        from mdpool.doctor.output import row, summary

        results = list(self.verify()) if self.verify is not None else []
        report.verify = [result.to_json() for result in results]
        for result in results:
            self._say(row(result))
        self._say(summary(results, "verify"))
        failures = [row(result) for result in results if result.failed]
        if failures:
            stacks = ", ".join(self.pool_stacks)
            raise DeployError(
                failures + [f"{stacks}: applied, but the pool does not serve yet; fix the above, then: mdpool verify"]
            )

    def pool_deployed(self) -> bool:
        """Whether a pool stack has been applied (its state has outputs)."""
        for pool in self.pool_stacks:
            stack = self._stack(pool)
            stack.init()
            if stack.outputs():
                return True
        return False

    def _report_static_ips(self, report: Report, pool: str) -> None:
        """The pool's static outbound addresses (the service fills them in), for firewall allow-lists."""
        output = self._stack(pool).outputs().get("static_ip_addresses")
        if output is not None and isinstance(output.value, list) and output.value:
            addresses = [str(address) for address in output.value]
            report.static_ip_addresses += addresses
            self._say(f"{pool}: static outbound IP addresses: {', '.join(addresses)}")

    def _pool_prerequisites(self, run: "_Run", pool: str) -> None:
        outputs = self._gallery_outputs(run, Stage.POOL)
        if Stage.IMAGES not in run.stages:
            # the blog's "slight hitch": a pool referencing an image without a version stays failed;
            # each pool needs versions of the gallery images it uses, and only those
            missing = list(self.images.without_version(outputs, pool))
            if missing:
                many = len(missing) > 1
                raise NotReady(
                    f"{pool}: not planned: gallery image{'s' if many else ''} {', '.join(missing)} "
                    f"{'have' if many else 'has'} no version yet, and a pool that references an image without a "
                    f"version stays failed; build {'them' if many else 'it'} first: mdpool deploy --stage images"
                )

    def _gallery_outputs(self, run: "_Run", stage: Stage) -> Mapping[str, Output]:
        """The gallery stack's outputs from its state (read once per deploy); refuses when it has none."""
        if run.gallery_outputs is None:
            gallery = self._stack(self.synth.gallery)
            if Stage.GALLERY not in run.stages:
                gallery.init()  # the gallery stage did not run: its backend is not set up in this folder yet
            outputs = gallery.outputs()
            if not outputs:
                raise NotReady(
                    f"{stage.value} stage: {self.synth.gallery} has not been deployed yet (its state has no outputs); "
                    f"deploy the gallery stage first: mdpool deploy --stage gallery"
                )
            run.gallery_outputs = outputs
        return run.gallery_outputs

    def _deploy_stack(self, terraform: StackTerraform, report: Report) -> None:
        summary = self._plan_stack(terraform, report)
        stack = report.stacks[-1]
        started = self.clock()
        try:
            self._allowed_used.update(
                token
                for token in self.allow_replace
                for change in summary.pending
                if change.action.loses_resource and change.matches(token)
            )
            refused = summary.refused(self.allow_replace)
            if refused:
                stack.status = "refused"
                raise DeployError([self._refusal(summary.stack, change) for change in refused])
            if not summary.has_changes:
                stack.status = "no changes"
                return
            if self.confirm is not None and not self.confirm(f"Apply {summary.headline()}?"):
                stack.status = "declined"
                raise DeployError(f"{summary.stack}: not applied (declined); nothing after it was run")
            stack.status = "failed"
            terraform.apply(PLAN_FILE)
            stack.status = "applied"
        finally:
            self._remove_plan(terraform)
            stack.seconds += self.clock() - started

    def _build_images(self, gallery_outputs: Mapping[str, Output], report: Report, run: "_Run") -> None:
        names = list(self.images.names())
        if not names:
            self._say("images: none has build settings; nothing to build")
            return
        self._say(f"images: {', '.join(names)} (each is skipped when its current content already has a version)")
        results = list(self.images.build(gallery_outputs))
        report.images.extend(results)
        for result in results:
            version = f" (version {result.version_id.rsplit('/', 1)[-1]})" if result.version_id else ""
            slowest = f"; slowest phase {result.slowest_phase}" if result.slowest_phase else ""
            self._say(f"  {result.name}: {result.outcome}{version}{slowest}")
            for line in describe_retention(result.name, result.retention or {}):
                self._say(f"  {line}")
        if any(result.outcome == "interrupted" for result in results):
            raise KeyboardInterrupt
        failed = [result for result in results if not result.ok]
        if failed:
            then = (
                f"{', '.join(self.pool_stacks)}: not applied, because an image build failed; fix it and run `{report.rerun}` again"
                if Stage.POOL in run.stages
                else f"fix it and run `{report.rerun}` again"
            )
            raise DeployError(
                [f"image {r.name}: build {r.outcome}: {r.message or 'no message from Azure'}" for r in failed] + [then]
            )

    # -- shared steps ----------------------------------------------------------------------------

    def _stack(self, name: str) -> StackTerraform:
        return self.terraform.stack(name, self.synth.directory(name))

    def _plan_stack(self, terraform: StackTerraform, report: Report, keep: bool = False) -> PlanSummary:
        stack = StackReport(terraform.name, status="failed")
        report.stacks.append(stack)
        started = self.clock()
        stack_json = terraform.directory / "cdk.tf.json"
        policy = self.policy.for_stack(stack_json)
        try:
            terraform.init()
            # the pool's one-time hand-over from azurerm: only a state that holds the azurerm pool imports it
            variables = plan_variables(stack_json, terraform.state_addresses()) if offers_import(stack_json) else {}
            if variables:
                self._say(
                    f"{terraform.name}: the state holds the azurerm pool of mdpool round 1; it is imported into azapi_resource (API 2026-06-02), not replaced"
                )
            # plan with prevent_destroy lifted, so the whole plan can be read; the guard below protects
            with prevent_destroy_lifted(terraform.directory, prevent_destroy_addresses(stack_json)):
                terraform.plan(PLAN_FILE, variables)
            summary = summarize(terraform.name, terraform.show_plan(PLAN_FILE), policy)
        except BaseException:
            self._remove_plan(terraform)
            raise
        finally:
            stack.seconds += self.clock() - started
        stack.status = "planned"
        stack.changes = summary.counts()
        stack.outputs_changed = bool(summary.outputs_changed)
        if summary.has_changes:
            self.console.print(render_table(summary))
        else:
            self._say(summary.headline())
        if report.command == "plan" and not keep:
            self._remove_plan(terraform)
        return summary

    def _refusal(self, stack: str, change) -> str:
        return (
            f"{stack}: refusing to {change.action.value} {change.protected_kind} {change.display_name}: "
            f"{PROTECTED_KINDS[change.protected_kind]}; if you mean it, run again with "
            f"--allow-replace {change.address}"
        )

    def _warn_refusals(self, summary: PlanSummary) -> None:
        for change in summary.refused(self.allow_replace):
            self.console.print(
                Text.assemble(("warning:", "bold red"), " ", cell(self._refusal(summary.stack, change))), soft_wrap=True
            )

    def _remove_plan(self, terraform: StackTerraform) -> None:
        (terraform.directory / PLAN_FILE).unlink(missing_ok=True)

    def _say(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def _say_outcome(self, report: Report) -> None:
        took = f"{report.seconds:.1f} s"
        partial = tuple(report.selected) != tuple(stage.value for stage in ALL_STAGES)
        scope = f" ({', '.join(report.selected)} stage{'s' if len(report.selected) > 1 else ''})" if partial else ""
        if report.result == "nothing to do":
            parts = []
            if report.stacks:
                names = [s.name for s in report.stacks]
                parts.append(f"{' and '.join(names)} {'have' if len(names) > 1 else 'has'} no changes")
            if report.images:
                parts.append(f"{len(report.images)} image(s) up to date")
            self._say(f"nothing to do{scope}: {', '.join(parts) or 'no image has build settings'} ({took})")
        elif report.result == "succeeded":
            applied = [s.name for s in report.stacks if s.applied]
            built = [i.name for i in report.images if i.outcome in ("built", "reattached")]
            parts = ([f"applied {', '.join(applied)}"] if applied else []) + ([f"built {', '.join(built)}"] if built else [])
            deleted = sum(len((i.retention or {}).get("deleted") or []) for i in report.images)
            if deleted:
                parts.append(f"deleted {deleted} old image version(s)")
            self._say(f"deployed {self.synth.environment}{scope}: {'; '.join(parts)} ({took})")
        if report.result in ("nothing to do", "succeeded") and partial:
            following = ALL_STAGES[ALL_STAGES.index(Stage(report.selected[-1])) + 1 :]
            if following:
                self._say(f"next: mdpool deploy --stage {following[0].value}")

    class _Running:
        def __init__(self, deployment: "Deployment", report: Report) -> None:
            self.deployment, self.report = deployment, report

        def __enter__(self) -> None:
            self.started = self.deployment.clock()

        def __exit__(self, kind, error, trace) -> Literal[False]:
            report = self.report
            report.seconds = self.deployment.clock() - self.started
            if error is None:
                return False
            if isinstance(error, KeyboardInterrupt):
                report.result = "interrupted"
                report.errors.append(
                    f"interrupted; nothing was cancelled: run `{report.rerun}` again to continue where it stopped"
                )
                raise Interrupted(report.errors[-1]) from None
            if isinstance(error, NotReady):
                report.result = "refused"
                report.errors.extend(error.lines)
            elif isinstance(error, DeployError):
                last = report.stacks[-1].status if report.stacks else "failed"
                report.result = last if last in ("refused", "declined") else "failed"
                report.errors.extend(error.lines)
            return False

    def _running(self, report: Report) -> "Deployment._Running":
        return Deployment._Running(self, report)
