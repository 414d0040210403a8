"""The `mdpool` command line. Subcommand groups live beside the code they drive and register here.

Heavy modules (provider bindings, Azure SDK) are imported inside the commands that need them, so
that `mdpool --help` and `mdpool validate` stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mdpool.cli_support import (
    DEFAULT_CONFIG,
    OUTPUT,
    ConfigOption,
    JsonOption,
    emit_json,
    fail,
    load_environment_or_exit,
    reset_output,
    say,
)

app = typer.Typer(
    name="mdpool",
    help="Azure Managed DevOps Pools on your own build-agent images, from one typed config file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
)


def _print_version(value: bool) -> None:
    if value:
        from mdpool.versions import version_lines

        print("\n".join(version_lines()))
        raise typer.Exit()


@app.callback()
def global_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the versions of mdpool, cdktn, the provider bindings and terraform, and exit.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also say what is read and done (stderr).")] = False,
) -> None:
    """Azure Managed DevOps Pools on your own build-agent images, from one typed config file.

    Every --config defaults to $MDPOOL_CONFIG, else ./mdpool.yaml, else ./config/example.yaml.
    """
    if quiet and verbose:
        raise typer.BadParameter("choose one of --quiet and --verbose", param_hint="-q/-v")
    reset_output(verbosity=-1 if quiet else 1 if verbose else 0)


@app.command()
def validate(config: ConfigOption = DEFAULT_CONFIG, json_output: JsonOption = False) -> None:
    """Check the configuration and its image definition files; print every problem, one per line."""
    cfg = load_environment_or_exit(config)
    images = len(cfg.gallery.images)
    if OUTPUT.json:
        report = {"config": str(config), "environment": cfg.environment, "gallery_images": images, "pool": cfg.names.pool}
        emit_json(report, problems=cfg.warnings)
        return
    say(f"{config}: valid (environment {cfg.environment}, {images} gallery image{'s' * (images != 1)}, pool {cfg.names.pool})")


@app.command()
def synth(
    config: ConfigOption = DEFAULT_CONFIG,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for manifest.json and stacks/.")] = Path("cdktf.out"),
    json_output: JsonOption = False,
) -> None:
    """Synthesize the gallery and pool stacks to Terraform JSON (all or nothing)."""
    cfg = load_environment_or_exit(config)
    from mdpool.problems import InputError
    from mdpool.signals import stop_signals
    from mdpool.summary import print_synth_summary
    from mdpool.synth import synthesize

    with stop_signals() as caught:  # SIGTERM/SIGHUP as Ctrl-C: the staging folder is removed, --out kept
        try:
            result = synthesize(cfg, out)
        except InputError as error:  # an --out that is not ours to replace, or already being written
            fail(error.problems)
        except KeyboardInterrupt:
            fail([f"interrupted; nothing half-written is left in {out}"], code=caught.exit_code)
    if OUTPUT.json:
        stacks = [{"name": name, "resources": result.resource_count(name), "folder": str(path)} for name, path in result.stacks.items()]
        emit_json({"environment": cfg.environment, "out": str(out), "stacks": stacks}, problems=cfg.warnings)
    elif OUTPUT.verbosity >= 0:
        print_synth_summary(cfg, result)


# --- subcommand groups (each module exposes a typer app or plain command functions) ---
# (registration lines are added below by each area: images, deploy, review, pipeline)
from mdpool.review.command import review as _review  # noqa: E402

app.command("review")(_review)

from mdpool.pipelines.command import app as _pipeline_app  # noqa: E402

app.add_typer(_pipeline_app, name="pipeline")

from mdpool.deploy import cli as _deploy  # noqa: E402

app.command("plan")(_deploy.plan)
app.command("deploy")(_deploy.deploy)

from mdpool.imagebuild.cli import app as images_app  # noqa: E402

app.add_typer(images_app, name="images")

from mdpool.doctor.command import doctor as _doctor  # noqa: E402

app.command("doctor")(_doctor)

from mdpool.rollout.command import rollout as _rollout  # noqa: E402

app.command("rollout")(_rollout)

from mdpool.verify.command import verify as _verify  # noqa: E402

app.command("verify")(_verify)

from mdpool.schema_command import schema as _schema  # noqa: E402

app.command("schema")(_schema)

from mdpool.starter.command import init as _init  # noqa: E402

app.command("init")(_init)

from mdpool.provider_locks_command import provider_locks as _provider_locks  # noqa: E402

app.command("provider-locks")(_provider_locks)


def main() -> None:
    from mdpool.cli_support import run

    run(app)
