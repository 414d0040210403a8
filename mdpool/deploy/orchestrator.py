"""The staged deploy: gallery stack -> image builds -> pool stack, in the only order Azure accepts.

A pool that references a gallery image without a version stays failed (the blog's "slight hitch"),
so the gallery stack is applied first, then every image that needs it is built into the gallery,
and only then is the pool stack planned and applied.

Every stage is idempotent, which is what makes a deploy resumable: Terraform re-plans from its
state (an applied stack plans "no changes"), and the image-build flow skips an image whose current
content already has a version and reattaches to a build of the same content that is still running.
So a deploy that was interrupted or failed is simply run again and continues where it stopped; a
rerun with nothing changed builds nothing, applies nothing and says so.

The orchestrator works on a synthesized output directory (`manifest.json` + `stacks/<name>/`) and an
image-build service object, so it runs the same against Azure and against the tests' stand-ins.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from rich.console import Console

from mdpool.deploy.errors import DeployError
from mdpool.deploy.plan_summary import PlanSummary, render_table, summarize
from mdpool.deploy.protection import (
    PROTECTED_KINDS,
    ProtectionPolicy,
    prevent_destroy_addresses,
    prevent_destroy_lifted,
)
from mdpool.deploy.terraform import Output, StackTerraform, Terraform

PLAN_FILE = "mdpool.tfplan"  # inside each stack directory; removed after use (plans can hold secrets)


# --- the synthesized output --------------------------------------------------------------------


@dataclass(frozen=True)
class SynthOutput:
    """A synthesized output directory: the gallery and pool stacks and where they live."""

    root: Path
    gallery: str
    pool: str
    directories: Mapping[str, Path]

    @property
    def environment(self) -> str:
        return self.gallery.removeprefix("gallery-")

    def directory(self, stack: str) -> Path:
        return self.directories[stack]

    @classmethod
    def load(cls, root: Path) -> "SynthOutput":
        manifest_path = root / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text())
            stacks = manifest["stacks"]
            directories = {name: root / entry["workingDirectory"] for name, entry in stacks.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise DeployError(f"{manifest_path}: not a synthesized output ({error}); run `mdpool synth` first") from None
        galleries = sorted(name for name in directories if name.startswith("gallery-"))
        pools = sorted(name for name in directories if name.startswith("pool-"))
        if len(galleries) != 1 or len(pools) != 1:
            raise DeployError(
                f"{manifest_path}: stacks {sorted(directories)}; expected exactly one gallery-<env> and one pool-<env>"
            )
        for name, directory in directories.items():
            if not (directory / "cdk.tf.json").is_file():
                raise DeployError(f"{directory / 'cdk.tf.json'}: missing; run `mdpool synth` again")
        return cls(root=root, gallery=galleries[0], pool=pools[0], directories=directories)


# --- image builds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageResult:
    """What happened to one image: built (or reattached and finished), skipped as up to date, or failed."""

    name: str
    outcome: str  # "built" | "reattached" | "skipped" | "failed" | "interrupted"
    version_id: str | None = None
    seconds: float = 0.0
    message: str | None = None  # why it failed, with the log location when Azure gave one

    @property
    def ok(self) -> bool:
        return self.outcome in ("built", "reattached", "skipped")


class ImageBuilds(Protocol):
    """The image-build stage as the orchestrator sees it (mdpool.deploy.images adapts the build flow)."""

    def names(self) -> Sequence[str]:
        """The images that have build settings, i.e. that this stage may build."""

    def build(self, gallery_outputs: Mapping[str, Output]) -> Sequence[ImageResult]:
        """Build what needs building (in parallel), skip what is up to date, reattach to running builds."""


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

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "environment": self.environment,
            "result": self.result,
            "seconds": round(self.seconds, 2),
            "stacks": [
                {**asdict(stack), "applied": stack.applied, "seconds": round(stack.seconds, 2)} for stack in self.stacks
            ],
            "images": [{**asdict(image), "seconds": round(image.seconds, 2)} for image in self.images],
            "errors": self.errors,
        }


class Interrupted(Exception):
    """Ctrl-C: nothing is cancelled, a rerun continues (exit 130)."""


Confirm = Callable[[str], bool]


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
    ) -> None:
        self.synth = synth
        self.terraform = terraform
        self.images = images
        self.console = console
        self.confirm = confirm
        self.allow_replace = tuple(allow_replace)
        self.policy = policy or ProtectionPolicy()
        self.clock = clock
        self.report: Report | None = None  # the last run's report, also when it ended in an error
        self._allowed_used: set[str] = set()

    # -- mdpool plan ---------------------------------------------------------------------------

    def plan(self) -> Report:
        """Plan the gallery stack, and the pool stack once the gallery has been deployed; apply nothing."""
        report = self.report = Report(command="plan", environment=self.synth.environment)
        with self._running(report):
            gallery = self._stack(self.synth.gallery)
            summary = self._plan_stack(gallery, report)
            self._warn_refusals(summary)
            if not gallery.outputs():
                report.stacks.append(
                    StackReport(self.synth.pool, status="not planned", note=f"{self.synth.gallery} is not deployed yet")
                )
                self._say(
                    f"{self.synth.pool}: not planned yet; it reads {self.synth.gallery}'s outputs, so it is "
                    f"planned after the gallery is deployed (`mdpool deploy` does both, in order)"
                )
            else:
                if summary.outputs_changed:
                    self._say(
                        f"{self.synth.pool}: planned against {self.synth.gallery}'s current outputs, which the "
                        f"gallery plan changes; its plan may change once the gallery is applied"
                    )
                self._warn_refusals(self._plan_stack(self._stack(self.synth.pool), report))
            report.result = "planned"
        self._say(f"nothing was applied; `mdpool deploy` applies the stacks in order, with the image builds between "
                  f"them ({report.seconds:.1f} s)")
        return report

    # -- mdpool deploy -------------------------------------------------------------------------

    def deploy(self) -> Report:
        """gallery stack -> image builds -> pool stack; stops at the first stage that fails."""
        report = self.report = Report(command="deploy", environment=self.synth.environment)
        with self._running(report):
            gallery = self._stack(self.synth.gallery)
            self._deploy_stack(gallery, report)
            outputs = gallery.outputs()
            self._build_images(outputs, report)
            self._deploy_stack(self._stack(self.synth.pool), report)
            nothing = not any(s.applied for s in report.stacks) and all(i.outcome == "skipped" for i in report.images)
            report.result = "nothing to do" if nothing else "succeeded"
            for token in self.allow_replace:
                if token not in self._allowed_used:
                    self._say(f"note: --allow-replace {token} named nothing that this deploy replaced or destroyed")
        self._say_outcome(report)
        return report

    def _deploy_stack(self, terraform: StackTerraform, report: Report) -> None:
        summary = self._plan_stack(terraform, report)
        stack = report.stacks[-1]
        started = self.clock()
        try:
            self._allowed_used.update(
                token for token in self.allow_replace for change in summary.pending
                if change.action.loses_resource and change.matches(token))
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

    def _build_images(self, gallery_outputs: Mapping[str, Output], report: Report) -> None:
        names = list(self.images.names())
        if not names:
            self._say("images: none has build settings; nothing to build")
            return
        self._say(f"images: {', '.join(names)} (each is skipped when its current content already has a version)")
        results = list(self.images.build(gallery_outputs))
        report.images.extend(results)
        for result in results:
            version = f" (version {result.version_id.rsplit('/', 1)[-1]})" if result.version_id else ""
            self._say(f"  {result.name}: {result.outcome}{version}")
        if any(result.outcome == "interrupted" for result in results):
            raise KeyboardInterrupt
        failed = [result for result in results if not result.ok]
        if failed:
            raise DeployError(
                [f"image {r.name}: build {r.outcome}: {r.message or 'no message from Azure'}" for r in failed]
                + [f"{self.synth.pool}: not applied, because an image build failed; fix it and run `mdpool deploy` again"]
            )

    # -- shared steps ----------------------------------------------------------------------------

    def _stack(self, name: str) -> StackTerraform:
        return self.terraform.stack(name, self.synth.directory(name))

    def _plan_stack(self, terraform: StackTerraform, report: Report) -> PlanSummary:
        stack = StackReport(terraform.name, status="failed")
        report.stacks.append(stack)
        started = self.clock()
        stack_json = terraform.directory / "cdk.tf.json"
        policy = self.policy.for_stack(stack_json)
        try:
            terraform.init()
            # plan with prevent_destroy lifted, so the whole plan can be read; the guard below protects
            with prevent_destroy_lifted(terraform.directory, prevent_destroy_addresses(stack_json)):
                terraform.plan(PLAN_FILE)
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
        if report.command == "plan":
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
            self.console.print(f"[bold red]warning:[/] {self._refusal(summary.stack, change)}", soft_wrap=True)

    def _remove_plan(self, terraform: StackTerraform) -> None:
        (terraform.directory / PLAN_FILE).unlink(missing_ok=True)

    def _say(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def _say_outcome(self, report: Report) -> None:
        took = f"{report.seconds:.1f} s"
        if report.result == "nothing to do":
            self._say(
                f"nothing to do: {' and '.join(s.name for s in report.stacks)} have no changes"
                + (f", {len(report.images)} image(s) up to date" if report.images else "")
                + f" ({took})"
            )
        elif report.result == "succeeded":
            applied = [s.name for s in report.stacks if s.applied] or ["no stack"]
            built = [i.name for i in report.images if i.outcome in ("built", "reattached")]
            self._say(
                f"deployed {self.synth.environment}: applied {', '.join(applied)}"
                + (f"; built {', '.join(built)}" if built else "")
                + f" ({took})"
            )

    class _Running:
        def __init__(self, deployment: "Deployment", report: Report) -> None:
            self.deployment, self.report = deployment, report

        def __enter__(self) -> None:
            self.started = self.deployment.clock()

        def __exit__(self, kind, error, trace) -> bool:
            report = self.report
            report.seconds = self.deployment.clock() - self.started
            if error is None:
                return False
            if isinstance(error, KeyboardInterrupt):
                report.result = "interrupted"
                report.errors.append(
                    f"interrupted; nothing was cancelled: run `mdpool {report.command}` again to continue where it stopped"
                )
                raise Interrupted(report.errors[-1]) from None
            if isinstance(error, DeployError):
                last = report.stacks[-1].status if report.stacks else "failed"
                report.result = last if last in ("refused", "declined") else "failed"
                report.errors.extend(error.lines)
            return False

    def _running(self, report: Report) -> "Deployment._Running":
        return Deployment._Running(self, report)
