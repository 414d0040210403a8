"""Show image builds as they run: a live table on a terminal, one line per change in CI logs."""

from __future__ import annotations

import time
from typing import Sequence

from rich.console import Console
from rich.live import Live
from rich.table import Table

from mdpool.imagebuild.builder import Progress
from mdpool.imagebuild.phases import clock, describe_phases
from mdpool.printed import cell, console as shown_console


class BuildBoard:
    """A progress callback for `build_images`; use as a context manager around the build."""

    def __init__(self, images: Sequence[str], console: Console | None = None) -> None:
        self.console = console or shown_console(stderr=True)
        self.rows: dict[str, Progress] = {name: Progress(name, "queued") for name in images}
        self.seen_at: dict[str, float] = {}  # when each row last changed, to keep its clock running
        self.live: Live | None = None
        self._last_line: dict[str, tuple] = {}

    def __enter__(self) -> "BuildBoard":
        if self.console.is_terminal:
            # get_renderable: redrawn on every refresh, so the elapsed clocks run during long deletes
            self.live = Live(console=self.console, refresh_per_second=4, transient=False, get_renderable=self.table)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.__exit__(None, None, None)
            self.live = None

    def __call__(self, progress: Progress) -> None:
        self.rows[progress.image] = progress
        self.seen_at[progress.image] = time.monotonic()
        if self.live is not None:
            self.live.refresh()
            return
        key = (progress.phase, progress.run_state, progress.sub_state, progress.message)
        if self._last_line.get(progress.image) == key:
            return  # plain logs: only changes, not every poll
        self._last_line[progress.image] = key
        state = "/".join(part for part in (progress.run_state, progress.sub_state) if part)
        text = " ".join(part for part in (progress.phase, state, progress.message) if part)
        self.console.print(f"[{clock(progress.elapsed)}] {progress.image}: {text}", markup=False, highlight=False)

    def table(self) -> Table:
        table = Table(title="Image builds", expand=False)
        for column in ("Image", "Phase", "State", "Sub-state", "Elapsed", "Phases", "Message"):
            table.add_column(column, overflow="fold")
        now = time.monotonic()
        for row in self.rows.values():
            elapsed = row.elapsed
            if row.phase not in ("queued", "built", "skipped", "failed", "detached") and row.image in self.seen_at:
                elapsed += now - self.seen_at[row.image]
            values = (
                row.image,
                row.phase,
                row.run_state or "",
                row.sub_state or "",
                clock(elapsed),
                describe_phases(row.phases),  # as of the last poll
                row.message[:120],
            )
            table.add_row(*(cell(value) for value in values))
        return table
