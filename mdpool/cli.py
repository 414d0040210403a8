"""The `mdpool` command line. Subcommand groups live beside the code they drive and register here.

Heavy modules (provider bindings, Azure SDK) are imported inside the commands that need them, so
that `mdpool --help` and `mdpool validate` stay fast.
"""

from __future__ import annotations

import os

# mdpool's models use no pydantic plugins, and looking them up scans the metadata of every installed
# package (importlib.metadata entry points: email, zipfile, csv...) on the first model built, a tenth
# of `mdpool validate`. pydantic's own switch (pydantic/plugin/_loader.py get_plugins); an explicit
# setting is kept.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from pathlib import Path  # noqa: E402
from typing import Annotated

import typer

from mdpool.cli_lazy import LazyTarget, lazy_group
from mdpool.cli_support import (
    DEFAULT_CONFIG,
    OUTPUT,
    PROGRAM,
    ConfigOption,
    JsonOption,
    emit_json,
    fail,
    load_environment_or_exit,
    reset_output,
    say,
)

# The other commands, by name: (module, a command function or a typer.Typer of subcommands). Each
# module is imported when its command is looked up (mdpool.cli_lazy), so `mdpool validate` imports
# none of them. The order is the order of `mdpool --help`.
SUBCOMMANDS: dict[str, LazyTarget] = {
    "review": ("mdpool.review.command", "review"),
    "plan": ("mdpool.deploy.cli", "plan"),
    "deploy": ("mdpool.deploy.cli", "deploy"),
    "doctor": ("mdpool.doctor.command", "doctor"),
    "rollout": ("mdpool.rollout.command", "rollout"),
    "verify": ("mdpool.verify.command", "verify"),
    "schema": ("mdpool.schema_command", "schema"),
    "init": ("mdpool.starter.command", "init"),
    "provider-locks": ("mdpool.provider_locks_command", "provider_locks"),
    "pipeline": ("mdpool.pipelines.command", "app"),
    "images": ("mdpool.imagebuild.cli", "app"),
}

app = typer.Typer(
    cls=lazy_group(SUBCOMMANDS),
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
    from mdpool.bindings import preload

    bindings = preload()  # Node loads the provider bindings while Python reads the config (mdpool.bindings)
    try:
        cfg = load_environment_or_exit(config)
    except typer.Exit as stop:  # the problems are printed: end now, not once the bindings are loaded
        if PROGRAM["running"]:
            bindings.abandon(stop.exit_code)
        raise
    bindings.wait()  # the config was read meanwhile; the synth's own imports never race the thread's
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


def main() -> None:
    from mdpool.cli_support import run

    run(app)
