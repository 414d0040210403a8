"""The `mdpool` command line. Subcommand groups live beside the code they drive and register here.

Heavy modules (provider bindings, Azure SDK) are imported inside the commands that need them, so
that `mdpool --help` and `mdpool validate` stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mdpool.cli_support import DEFAULT_CONFIG, ConfigOption, fail, load_environment_or_exit

app = typer.Typer(
    name="mdpool",
    help="Azure Managed DevOps Pools on your own build-agent images, from one typed config file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def validate(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Check the configuration and its image definition files; print every problem, one per line."""
    cfg = load_environment_or_exit(config)
    images = len(cfg.gallery.images)
    print(f"{config}: valid (environment {cfg.environment}, {images} gallery image{'s' * (images != 1)}, "
          f"pool {cfg.names.pool})")


@app.command()
def synth(
    config: ConfigOption = DEFAULT_CONFIG,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for manifest.json and stacks/.")] = Path(
        "cdktf.out"
    ),
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


def main() -> None:
    app()
