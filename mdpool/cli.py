"""The `mdpool` command line. Subcommand groups live beside the code they drive and register here.

Heavy modules (provider bindings, Azure SDK) are imported inside the commands that need them, so
that `mdpool --help` and `mdpool validate` stay fast.
"""

from __future__ import annotations

import typer

from mdpool.cli_support import DEFAULT_CONFIG, ConfigOption

app = typer.Typer(
    name="mdpool",
    help="Azure Managed DevOps Pools on your own build-agent images, from one typed config file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# --- subcommand groups (each module exposes a typer app or plain command functions) ---
# (registration lines are added below by each area: images, deploy, review, pipeline)


def main() -> None:
    app()
