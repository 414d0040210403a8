"""`mdpool images`: render, lint and build the image definitions of the configured gallery images.

Heavy modules (the Azure SDK, rich's live display) are imported inside the commands.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from mdpool.cli_support import (
    DEFAULT_CONFIG,
    OUTPUT,
    POLL_INTERVAL_BOUNDS,
    ConfigOption,
    JsonOption,
    emit_json,
    fail,
    load_config_or_exit,
)
from mdpool.completion import image_names
from mdpool.printed import echo, json_text
from mdpool.problems import InputError

app = typer.Typer(
    help="Image definitions: render them to Azure Image Builder templates, lint them, build them.",
    no_args_is_help=True,
)

Names = Annotated[
    Optional[list[str]],
    typer.Argument(
        help="Gallery image names (default: every image with a build section).", show_default=False, autocompletion=image_names
    ),
]


@app.command()
def render(
    name: Annotated[str, typer.Argument(help="Gallery image name, e.g. ubuntu-22.04.", autocompletion=image_names)],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Print the ARM image template (api-version 2025-10-01) that `build` would create for NAME."""
    import json

    from mdpool.imagebuild.images import image_specs, load_definition
    from mdpool.imagebuild.template import image_template, run_output_name

    cfg = load_config_or_exit(config)
    try:
        spec = image_specs(cfg, [name])[0]
        definition = load_definition(spec)
    except InputError as error:
        fail(error.problems)
    body = image_template(definition, spec.settings, run_output=run_output_name())
    typer.echo(json_text(json.dumps(body, indent=2)))


@app.command()
def lint(names: Names = None, config: ConfigOption = DEFAULT_CONFIG, json_output: JsonOption = False) -> None:
    """Check image definitions before an hour-long build: model, bash -n, shellcheck, known footguns.

    One line per finding (file:line: step: rule severity: message; fix: ...); exit 1 on errors.
    """
    from mdpool.imagebuild.images import image_specs, load_definition
    from mdpool.imagebuild.lint import findings_from_problems, lint_definition

    cfg = load_config_or_exit(config)
    try:
        specs = image_specs(cfg, names or None)
    except InputError as error:
        fail(error.problems)
    findings = []
    for spec in specs:
        try:
            definition = load_definition(spec)
        except InputError as error:
            findings += findings_from_problems(error.problems)
            continue
        findings += lint_definition(definition, spec.os_type)
    findings = list(dict.fromkeys(findings))  # images sharing one template report a line once
    errors = sum(f.is_error for f in findings)
    from mdpool.ci_annotations import annotate

    annotate(findings)  # in Azure Pipelines / GitHub Actions: on the PR's diff too (stderr)
    if OUTPUT.json:
        report = {
            "images": len(specs),
            "errors": errors,
            "warnings": len(findings) - errors,
            "findings": [dataclasses.asdict(finding) for finding in findings],
        }
        emit_json(report, problems=findings, exit_code=1 if errors else 0)
        raise typer.Exit(1 if errors else 0)
    for finding in findings:
        echo(finding, file=sys.stderr)
    summary = f"lint: {len(specs)} image(s), {errors} error(s), {len(findings) - errors} warning(s)"
    if errors:
        fail([summary])
    echo(summary)


@app.command()
def build(
    names: Names = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if an up-to-date version exists.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=32, help="Builds at once.")] = 4,
    poll_interval: Annotated[
        float,
        typer.Option(  # bounds: mdpool.cli_support.POLL_INTERVAL_BOUNDS says why
            "--poll-interval",
            min=POLL_INTERVAL_BOUNDS[0],
            max=POLL_INTERVAL_BOUNDS[1],
            help="Seconds between status checks (0.01 to 600).",
        ),
    ] = 30.0,
    auth_retry_minutes: Annotated[
        float,
        typer.Option(
            "--auth-retry-minutes", min=0.0, help="How long to retry authorization failures after a fresh role assignment."
        ),
    ] = 30.0,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Synth output folder of `mdpool deploy`: a rollout recorded beside it keeps its versions."
        ),
    ] = Path("cdktf.out"),
    config: ConfigOption = DEFAULT_CONFIG,
    json_output: JsonOption = False,
) -> None:
    """Build gallery image versions with Azure Image Builder and watch them to the end.

    Skips images whose content already has a version, reattaches to a running build of the same
    content, and otherwise replaces the template and runs it. Ctrl-C stops watching only; the
    build goes on in Azure and running the command again reattaches. After a build, the image's
    versions beyond its newest `keep_versions` are deleted (never one a pool pins or runs). Exit 0
    when every image is built or up to date, 1 when one failed, 130 when interrupted.
    """
    import threading

    from mdpool.imagebuild.builder import BuildOptions, Connection, describe_result
    from mdpool.imagebuild.images import image_specs
    from mdpool.imagebuild.progress import BuildBoard

    cfg = load_config_or_exit(config)
    try:
        specs = image_specs(cfg, names or None)
    except InputError as error:
        fail(error.problems)
    if not specs:
        typer.echo("no image has a build section; nothing to build", err=OUTPUT.json)
        if OUTPUT.json:
            emit_json({"images": []})
        return
    options = BuildOptions(
        force=force,
        parallel=parallel,
        poll_interval=poll_interval,
        auth_retry_window=auth_retry_minutes * 60,
        auth_retry_interval=max(min(60.0, poll_interval * 2), 0.01),
    )
    from mdpool.azure_credential import CredentialProblem, checked_credential

    base = Connection.from_environment()
    try:  # before any build starts: a missing `az` or sign-in is one line, not a failure per image
        credential = checked_credential(base.credential)
    except CredentialProblem as error:
        fail([str(error)])
    connection = Connection(credential, base.endpoint, base.verify, {"polling_interval": min(poll_interval, 10.0)})
    from mdpool.imagebuild.chain import build_in_order, resolve_independent
    from mdpool.imagebuild.source_version import SourceError

    try:  # `latest` -> the newest version, so a moved source is a new build (source_version.py); an image
        # on a base built in this run is resolved once the base built (mdpool.imagebuild.chain)
        specs = resolve_independent(specs, connection)
    except SourceError as error:
        fail([str(error)])
    from mdpool.signals import stop_signals

    stop = threading.Event()
    try:  # SIGTERM/SIGHUP stop watching as Ctrl-C does; the builds go on in Azure
        with stop_signals() as caught, BuildBoard([spec.name for spec in specs]) as board:
            specs, results = build_in_order(specs, connection=connection, options=options, on_progress=board, stop=stop)
    except InputError as error:
        fail(error.problems)
    from mdpool.deploy.images import tidy_built
    from mdpool.rollout.state import state_path

    # old versions beyond keep_versions go (mdpool.deploy.retention); a problem is a warning, never a failure
    tidied = tidy_built(cfg, specs, results, connection, state_path(cfg, out)) if not stop.is_set() else {}
    for result in results:
        for line in describe_result(result):
            echo(line, file=sys.stderr if OUTPUT.json or not result.ok else sys.stdout)
        if result.image in tidied:
            for line in tidied[result.image].lines():
                echo(line, file=sys.stderr if OUTPUT.json or "warning:" in line else sys.stdout)
    code = 1 if any(r.status == "failed" for r in results) else 0
    if not code and any(r.status == "detached" for r in results):
        code = caught.exit_code  # 130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP
    if OUTPUT.json:
        failed = [describe_result(result)[0] for result in results if not result.ok]  # one problem per image; details in report
        emit_json({"images": [_result_json(result, tidied.get(result.image)) for result in results]}, problems=failed, exit_code=code)
    if code:
        raise typer.Exit(code)


def _result_json(result, retention=None) -> dict:
    """One image's build for --json: the result's fields, durations rounded, each phase in seconds, and
    the old versions deleted after it (`retention`, None when it was not built)."""

    document = dataclasses.asdict(result)
    document["duration"] = round(result.duration, 2)
    document["phases"] = [
        {"phase": p.phase, "started": round(p.started, 2), "seconds": round(p.seconds, 2)} for p in result.phases
    ]
    document["log_tail"] = list(result.log_tail)
    document["retention"] = retention.to_json() if retention is not None else None
    return document


@app.command()
def exclude(
    image: Annotated[str, typer.Argument(help="Gallery image name, e.g. ubuntu-22.04.")],
    version: Annotated[str, typer.Argument(help="The version to hold back, Major.Minor.Patch, e.g. 0.26337.1.")],
    undo: Annotated[bool, typer.Option("--undo", help="Let the version back into `latest`.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    json_output: JsonOption = False,
) -> None:
    """Hold VERSION of IMAGE back from `latest` (the gallery's excludeFromLatest), or let it back in with --undo.

    Pools at `latest` then create new agents from the newest version not excluded; a pool that pins
    VERSION keeps it. Agents already running keep their image until recycled (`mdpool deploy --recycle`).
    """
    cfg = load_config_or_exit(config)
    problem = _exclude_arguments_problem(cfg, image, version)
    if problem:
        fail([problem])
    from mdpool.azure_credential import CredentialProblem, checked_credential
    from mdpool.deploy.errors import DeployError
    from mdpool.deploy.exclude_from_latest import excluded_from_latest, set_excluded_from_latest
    from mdpool.imagebuild.builder import Connection, GalleryImageNotFound, list_gallery_image_versions

    base = Connection.from_environment()
    try:
        credential = checked_credential(base.credential)
    except CredentialProblem as error:
        fail([str(error)])
    connection = Connection(credential, base.endpoint, base.verify)
    image_id = cfg.names.gallery_image_id(image)
    with connection.client(cfg.subscription_id) as client:
        try:
            versions = list_gallery_image_versions(client, image_id)
        except GalleryImageNotFound:
            fail([f"{image}: the gallery image definition {image_id} does not exist yet; deploy the gallery stack first"])
        except Exception as error:  # noqa: BLE001 - one line, no traceback
            fail([f"{image}: cannot list its versions in {image_id}: {str(error).strip().splitlines()[0] if str(error).strip() else error}"])
        found = next((v for v in versions if str(v.get("name", "")).lower() == version.lower()), None)
        if found is None:
            names = ", ".join(sorted(str(v.get("name")) for v in versions)) or "none"
            fail([f"{image}: no version {version}; its versions: {names}"])
        excluded = not undo
        changed = excluded_from_latest(found) != excluded
        try:
            set_excluded_from_latest(client, str(found["id"]), excluded)
        except DeployError as error:
            fail(error.lines)
    others_in_latest = [
        v
        for v in versions
        if v is not found
        and (v.get("properties") or {}).get("provisioningState") == "Succeeded"
        and not excluded_from_latest(v)
    ]
    what = "excluded from latest" if excluded else "back in latest"
    line = f"{image} {found['name']}: {what}" + ("" if changed else " (it already was)")
    warnings = []
    if excluded and not others_in_latest:
        warnings.append(
            f"{image}: warning: no other Succeeded version is in latest, so a pool at `latest` has no version to create agents from"
        )
    if OUTPUT.json:
        emit_json(
            {"image": image, "version": found["name"], "id": found["id"], "excluded_from_latest": excluded, "changed": changed},
            problems=warnings,
        )
    else:
        echo(line)
    for warning in warnings:
        echo(warning, file=sys.stderr)


def _exclude_arguments_problem(cfg, image: str, version: str) -> str | None:
    """IMAGE must be one of the config's gallery images, VERSION a gallery version number (compute spec
    `galleryImageVersionName`: Major.Minor.Patch, each a 32-bit integer)."""
    import difflib
    import re

    configured = [entry.name for entry in cfg.gallery.images]
    if image not in configured:
        close = difflib.get_close_matches(image, configured, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"no gallery image named {image!r}{hint}; configured: {', '.join(configured) or 'none'}"
    if not re.fullmatch(r"\d+\.\d+\.\d+", version) or any(int(part) > 2**31 - 1 for part in version.split(".")):
        return f"{version!r} is not a gallery image version; allowed: Major.Minor.Patch, each 0 to 2147483647, e.g. 0.26337.1"
    return None
