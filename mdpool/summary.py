"""The short tables `mdpool synth` prints: stacks, pool images, standby schedule."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from mdpool.config import EnvironmentConfig
from mdpool.synth import SynthResult, summary_rows


def print_synth_summary(config: EnvironmentConfig, result: SynthResult, console: Console | None = None) -> None:
    console = console or Console()
    rows = summary_rows(config, result)
    layout = [
        ("Stacks (in deployment order)", ("stack", "resources", "folder"), rows["stacks"]),
        (f"Pool {config.names.pool}: images", ("image", "aliases", "buffer"), rows["images"]),
        ("Standby agents", ("day", "time -> agents"), rows["schedule"]),
    ]
    for title, headers, body in layout:
        table = Table(title=title, title_justify="left")
        for header in headers:
            table.add_column(header)
        for row in body:
            table.add_row(*row)
        console.print(table)
