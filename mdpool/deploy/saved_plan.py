"""Approved plan = applied plan: one stage's plan saved to a folder, and exactly that plan applied later.

`mdpool plan --stage S --save DIR` writes, all or nothing:

    DIR/mdpool-plan.json   what was planned: format, stage, environment, stack, the files below
    DIR/summary.md         the plan in Markdown (a pipeline's run summary shows it to the approver)
    DIR/synth/             the synthesized output the plan was made from (manifest.json + stacks/)
    DIR/<stack>.tfplan     Terraform's saved plan (gallery and pool stages)
    DIR/images.json        the images the build will build, with their content hashes (images stage)

`mdpool deploy --plan DIR` puts DIR/synth where the deploy works (`--out`), initializes the stack
and runs `terraform apply <planfile>`: no second plan, so what runs is what the approver saw. A plan
made before the state changed is refused by Terraform ("Saved plan is stale"); mdpool says so in one
line and names the stage to run again. Plans can hold secrets (sensitive values in clear text, see
Terraform's `terraform plan -out` docs), so the plan file is removed once it has been applied or
refused, and the pipeline artifact that carried it is kept no longer than the project's retention.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from mdpool.deploy.errors import DeployError
from mdpool.deploy.stages import Stage
from mdpool.files import MAX_JSON_BYTES, FileRefused, load_json_file, path_inside, read_bounded

if TYPE_CHECKING:
    from mdpool.deploy.orchestrator import Deployment
    from mdpool.deploy.plan_summary import PlanSummary

MANIFEST = "mdpool-plan.json"
SUMMARY = "summary.md"
SYNTH = "synth"
IMAGES = "images.json"
FORMAT = 1
# Terraform's words when the state moved since the plan (internal/backend/local/backend_apply.go:
# "Saved plan is stale"); OpenTofu keeps them.
STALE_MARKER = "Saved plan is stale"
# What the synth output holds besides Terraform's working files, which never travel with a plan.
_NOT_COPIED = (".terraform", "*.tfplan", "mdpool_override.tf.json")


@dataclass(frozen=True)
class SavedPlan:
    """A folder written by `mdpool plan --stage S --save DIR`, as read back by `mdpool deploy --plan DIR`."""

    directory: Path
    stage: Stage
    environment: str
    stack: str | None = None
    plan_file: str | None = None

    @property
    def synth_dir(self) -> Path:
        return self.directory / SYNTH

    @property
    def plan_path(self) -> Path | None:
        return self.directory / self.plan_file if self.plan_file else None

    def rerun(self) -> str:
        return f"mdpool plan --stage {self.stage.value} --save {self.directory.as_posix()}"

    @classmethod
    def load(cls, directory: Path) -> "SavedPlan":
        manifest = directory / MANIFEST
        try:
            data = load_json_file(manifest)  # a regular file, bounded: the folder may be hand-made
            saved = cls(
                directory=directory,
                stage=Stage(data["stage"]),
                environment=str(data["environment"]),
                stack=data.get("stack"),
                plan_file=data.get("plan_file"),
            )
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, this mdpool reads format {FORMAT}")
            if saved.plan_file is not None and (not isinstance(saved.plan_file, str) or "/" in saved.plan_file):
                raise ValueError("plan_file is not a file name in the folder")
            if saved.plan_file is not None:  # it is applied, then deleted: never a file outside the folder
                path_inside(directory, saved.plan_file, "plan_file")
        except (FileNotFoundError, NotADirectoryError):  # NotADirectory: DIR is a file
            raise DeployError(
                f"{manifest}: missing; DIR must be a folder written by `mdpool plan --stage STAGE --save DIR`"
            ) from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, FileRefused) as error:
            raise DeployError(
                f"{manifest}: not a saved mdpool plan ({error}); save it again with "
                f"`mdpool plan --stage STAGE --save {directory.as_posix()}`"
            ) from None
        if saved.stage is not Stage.IMAGES and (saved.plan_path is None or not saved.plan_path.is_file()):
            raise DeployError(
                f"{directory}: its plan file {saved.plan_file} is missing (applied already? plans are "
                f"removed once applied); plan again: {saved.rerun()}"
            )
        if not (saved.synth_dir / "manifest.json").is_file():
            raise DeployError(f"{saved.synth_dir / 'manifest.json'}: missing; plan again: {saved.rerun()}")
        return saved


# --- writing ---------------------------------------------------------------------------------


class PlanFolder:
    """DIR being written: a staging sibling that replaces DIR only when complete (nothing half-written).

    DIR must be missing, empty, or an earlier saved plan: anything else is refused and left as it is.
    """

    def __init__(self, directory: Path) -> None:
        self.refuse_unusable(directory)
        self.directory = directory
        directory.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))

    @staticmethod
    def refuse_unusable(directory: Path) -> None:
        """DeployError unless DIR is missing, empty or an earlier saved plan: checked before the synth
        and the plan too, so a wrong --save costs nothing and writes nothing."""
        if directory.exists() and (not directory.is_dir() or (any(directory.iterdir()) and not (directory / MANIFEST).is_file())):
            raise DeployError(
                f"{directory}: exists and is not a saved mdpool plan; choose an empty or new folder "
                f"(mdpool replaces only its own saved plans)"
            )

    def copy_synth(self, synth_root: Path) -> None:
        shutil.copytree(synth_root, self.staging / SYNTH, ignore=shutil.ignore_patterns(*_NOT_COPIED))

    def add_file(self, name: str, source: Path) -> None:
        shutil.copy2(source, self.staging / name)
        os.chmod(self.staging / name, 0o600)  # a plan can hold secrets

    def write(self, name: str, text: str) -> None:
        (self.staging / name).write_text(text, encoding="utf-8")

    def commit(self, manifest: Mapping[str, Any]) -> None:
        self.write(MANIFEST, json.dumps({"format": FORMAT, **manifest}, indent=2, sort_keys=True) + "\n")
        if self.directory.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{self.directory.name}.old.", dir=self.directory.parent))
            self.directory.rename(retired / self.directory.name)
            shutil.rmtree(retired, ignore_errors=True)
        self.staging.rename(self.directory)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def save_stack_plan(deployment: "Deployment", stage: Stage, directory: Path, *, command: str) -> SavedPlan:
    """Plan the gallery or pool stack and save the plan, its summary and the synth output into `directory`."""
    from mdpool.deploy.orchestrator import PLAN_FILE

    folder = PlanFolder(directory)
    try:
        terraform, summary = deployment.plan_stage(stage)
        try:
            plan_file = f"{terraform.name}.tfplan"
            folder.add_file(plan_file, terraform.directory / PLAN_FILE)
        finally:
            (terraform.directory / PLAN_FILE).unlink(missing_ok=True)
        folder.copy_synth(deployment.synth.root)
        folder.write(SUMMARY, stack_summary_markdown(summary, stage, deployment.synth.environment, command))
        folder.commit(
            {
                "stage": stage.value,
                "environment": deployment.synth.environment,
                "stack": terraform.name,
                "plan_file": plan_file,
                "changes": summary.counts(),
                "has_changes": summary.has_changes,
            }
        )
    except BaseException:
        folder.discard()
        raise
    deployment.console.print(
        f"saved the {stage.value} plan in {directory}: apply exactly it with `mdpool deploy --plan {directory.as_posix()}`",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return SavedPlan(directory, stage, deployment.synth.environment, terraform.name, plan_file)


def stack_summary_markdown(summary: "PlanSummary", stage: Stage, environment: str, command: str) -> str:
    """The approver's view: the headline, one row per changing resource, protected ones marked."""
    lines = [f"## mdpool plan: {stage.value} stage of {environment}", "", f"**{_md(summary.headline())}**", ""]
    if summary.pending:
        lines += ["| action | resource | name | note |", "| --- | --- | --- | --- |"]
        for change in summary.pending:
            notes = []
            if change.protected_kind:  # as the terminal table says it (plan_summary.render_table)
                kind = change.protected_kind
                notes.append("protected" if kind == "protected resource" else f"protected {kind}")
            if change.replace_paths:
                notes.append("forced by " + ", ".join(change.replace_paths))
            lines.append(
                f"| {change.action.value} | `{_md(change.address)}` | {_md(change.name_text)} | {_md('; '.join(notes))} |"
            )
        lines.append("")
    if summary.outputs_changed:
        lines += [f"Outputs changing: {len(summary.outputs_changed)}", ""]
    lines += [f"Approving applies exactly this plan (`{_md(command)}`); nothing is planned again.", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    """Plain text inside a Markdown table cell: no pipes, no line breaks, no HTML."""
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


# --- applying --------------------------------------------------------------------------------


def place_synth(saved: SavedPlan, out: Path) -> None:
    """Put the saved synth output at `out` (keeping Terraform's working files there, as synth does)."""
    from mdpool.synth import _carry_over_terraform_files, _replace

    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise DeployError(f"{out}: exists and is not a synthesized output; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shutil.rmtree(staging)
        shutil.copytree(saved.synth_dir, staging)
        _carry_over_terraform_files(out, staging)
        _replace(out, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def apply_saved_stack(deployment: "Deployment", saved: SavedPlan, allow_replace: Iterable[str] = ()) -> None:
    """`terraform init` + `terraform apply <saved plan>` in the stack's folder; never plans again."""
    import dataclasses

    from mdpool.deploy.errors import TerraformError
    from mdpool.deploy.orchestrator import Report, StackReport
    from mdpool.deploy.plan_summary import render_table, summarize

    assert saved.stack is not None and saved.plan_path is not None
    report = deployment.report = Report(
        command="deploy", environment=saved.environment, selected=[saved.stage.value], ran=[saved.stage.value]
    )
    stack = StackReport(saved.stack, status="failed")
    report.stacks.append(stack)
    seen: list[str] = []
    base = deployment.terraform.stack(saved.stack, deployment.synth.directory(saved.stack))

    def echo(line: str) -> None:
        seen.append(line)
        base.echo(line)

    terraform = dataclasses.replace(base, echo=echo)
    plan_path = str(saved.plan_path.resolve())
    started = deployment.clock()
    try:
        terraform.init()
        summary = summarize(
            saved.stack, terraform.show_plan(plan_path), deployment.policy.for_stack(terraform.directory / "cdk.tf.json")
        )
        stack.changes = summary.counts()
        refused = summary.refused(allow_replace)
        if refused:  # checked when it was saved too; a plan edited since is still refused here
            stack.status = "refused"
            raise DeployError(
                [
                    f"{saved.stack}: refusing to {c.action.value} {c.protected_kind} {c.display_name}; "
                    f"if you mean it, plan again with --allow-replace {c.address}"
                    for c in refused
                ]
            )
        deployment.console.print(render_table(summary) if summary.has_changes else summary.headline(), highlight=False)
        try:
            terraform.apply(plan_path)
        except TerraformError:
            if any(STALE_MARKER in line for line in seen):
                stack.status = "stale"
                raise DeployError(
                    f"{saved.stack}: the saved plan in {saved.directory} is stale (the state changed "
                    f"since it was planned) and was not applied; run the {saved.stage.value} stage "
                    f"again, from its plan: {saved.rerun()}"
                ) from None
            raise
        stack.status = "applied" if summary.has_changes else "no changes"
        report.result = "succeeded" if summary.has_changes else "nothing to do"
        if saved.stage is Stage.POOL:  # as in a full deploy: static addresses, then the opt-in recycle
            deployment.after_pool(report)
    except DeployError as error:
        report.result = "refused" if stack.status in ("refused", "stale") else "failed"
        report.errors.extend(error.lines)
        raise
    except KeyboardInterrupt:  # terraform got one interrupt, stopped cleanly and released its state lock
        from mdpool.deploy.orchestrator import Interrupted

        report.result = "interrupted"
        report.errors.append(
            f"{saved.stack}: interrupted; the saved plan may be partly applied and cannot be "
            f"applied again: run the {saved.stage.value} stage again, from its plan: {saved.rerun()}"
        )
        raise Interrupted(report.errors[-1]) from None
    finally:
        stack.seconds = deployment.clock() - started
        report.seconds = stack.seconds
        saved.plan_path.unlink(missing_ok=True)  # applied, stale or failed: never applied twice; may hold secrets
    deployment.console.print(
        f"applied the saved {saved.stage.value} plan of {saved.environment} ({summary.headline()})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


# --- the images stage ------------------------------------------------------------------------


def plan_images_stage(deployment: "Deployment", directory: Path | None, *, command: str) -> None:
    """List the images a deploy would build and why; with `directory`, save that list for the build."""
    from mdpool.deploy.errors import NotReady
    from mdpool.deploy.image_plan import images_json, images_markdown
    from mdpool.deploy.orchestrator import ImageResult, Report
    from mdpool.deploy.retention import describe as describe_retention

    synth = deployment.synth
    report = deployment.report = Report(
        command="plan", environment=synth.environment, selected=[Stage.IMAGES.value], ran=[Stage.IMAGES.value]
    )
    folder = PlanFolder(directory) if directory is not None else None
    try:
        gallery = deployment.terraform.stack(synth.gallery, synth.directory(synth.gallery))
        gallery.init()
        outputs = gallery.outputs()
        if not outputs:
            raise NotReady(
                f"images stage: {synth.gallery} has not been deployed yet (its state has no outputs); "
                f"deploy the gallery stage first: mdpool deploy --stage gallery"
            )
        planned = deployment.images.plan(outputs)  # type: ignore[attr-defined]  # ImageBuildStage.plan
        for image in planned:
            report.images.append(
                ImageResult(
                    image.name,
                    "to build" if image.build else "up to date",
                    version_id=image.version_id,
                    message=image.reason,
                    retention=image.retention,
                )
            )
            what = f"build ({image.reason})" if image.build else f"up to date ({image.version_id})"
            deployment.console.print(
                f"  {image.name}: {what}; source {image.source}; content {image.content_hash[:12]}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            for line in describe_retention(image.name, image.retention or {}, planned=True):  # after its build
                deployment.console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
        if folder is not None:
            folder.copy_synth(synth.root)
            folder.write(IMAGES, images_json(planned))
            folder.write(SUMMARY, images_markdown(planned, synth.environment, command))
            folder.commit(
                {
                    "stage": Stage.IMAGES.value,
                    "environment": synth.environment,
                    "build": [image.name for image in planned if image.build],
                }
            )
        report.result = "planned"
    except DeployError as error:
        report.result = "refused" if isinstance(error, NotReady) else "failed"
        report.errors.extend(error.lines)
        if folder is not None:
            folder.discard()
        raise
    except BaseException:
        if folder is not None:
            folder.discard()
        raise
    building = sum(image.build for image in planned)
    deployment.console.print(
        f"images: {building} of {len(planned)} to build"
        + (
            f"; saved in {directory}: build exactly these with `mdpool deploy --plan {directory.as_posix()}`"
            if directory is not None
            else ""
        ),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def build_saved_images(deployment: "Deployment", saved: SavedPlan) -> None:
    """Build exactly the images the saved plan lists, from the sources it resolved."""
    from mdpool.deploy.image_plan import load_images

    try:
        planned = load_images(read_bounded(saved.directory / IMAGES, MAX_JSON_BYTES).decode("utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError, FileRefused) as error:
        raise DeployError(f"{saved.directory / IMAGES}: not a saved images plan ({error}); plan again: {saved.rerun()}") from None
    deployment.images.planned = planned  # type: ignore[attr-defined]
    deployment.deploy([Stage.IMAGES])


def plan_stage(deployment: "Deployment", stage: Stage, directory: Path | None, *, command: str) -> None:
    """`mdpool plan --stage S [--save DIR]`."""
    from mdpool.deploy.orchestrator import PLAN_FILE

    if stage is Stage.IMAGES:
        plan_images_stage(deployment, directory, command=command)
    elif directory is not None:
        save_stack_plan(deployment, stage, directory, command=command)
    else:
        terraform, _ = deployment.plan_stage(stage)
        (terraform.directory / PLAN_FILE).unlink(missing_ok=True)


def apply_saved(deployment: "Deployment", saved: SavedPlan, allow_replace: Iterable[str] = ()) -> None:
    """`mdpool deploy --plan DIR`."""
    if saved.stage is Stage.IMAGES:
        build_saved_images(deployment, saved)
    else:
        apply_saved_stack(deployment, saved, allow_replace)


def say_images_after_plan(deployment: "Deployment") -> None:
    """After a full `mdpool plan`: which images a deploy would build, and why (best effort, never fails the plan).

    Only once the gallery stack is deployed (before that every image has no version yet, and the
    build would aim at definitions that do not exist); an Azure error becomes one note line.
    """
    from mdpool.deploy.orchestrator import ImageResult

    synth, report = deployment.synth, deployment.report
    if report is None or report.result != "planned" or not deployment.images.names():
        return
    if not any(stack.name in synth.pools and stack.status == "planned" for stack in report.stacks):
        return  # the gallery is not deployed yet: the plan said so
    planner = getattr(deployment.images, "plan", None)
    if planner is None:
        return
    try:
        outputs = deployment.terraform.stack(synth.gallery, synth.directory(synth.gallery)).outputs()
        planned = planner(outputs)
    except Exception as error:  # noqa: BLE001 - a hint: the plan itself succeeded
        lines = getattr(error, "lines", None) or [
            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        ]
        deployment.console.print(
            f"images: not checked ({lines[0]}); `mdpool plan --stage images` retries",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    for image in planned:
        report.images.append(
            ImageResult(
                image.name, "to build" if image.build else "up to date", version_id=image.version_id, message=image.reason
            )
        )
        what = f"would be built ({image.reason})" if image.build else "up to date"
        deployment.console.print(
            f"images: {image.name} {what}; source {image.source}", markup=False, highlight=False, soft_wrap=True
        )
