"""The short tables `mdpool synth` prints: stacks, pool images, standby schedule (rows built from the config and the output)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from mdpool.config import DAYS, EnvironmentConfig, Pool
from mdpool.printed import cell, console as shown_console
from mdpool.synth import SynthResult


def print_synth_summary(config: EnvironmentConfig, result: SynthResult, console: Console | None = None) -> None:
    console = console or shown_console()
    rows = summary_rows(config, result)
    layout: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = [
        ("Stacks (in deployment order)", ("stack", "resources", "folder"), rows["stacks"])
    ]
    for pool in config.pools:  # each pool's images and standby schedule, in the order of the config
        name = config.names.for_pool(pool).pool
        pool_rows = summary_rows(config, result, pool)
        layout += [
            (f"Pool {name}: images", ("image", "aliases", "buffer"), pool_rows["images"]),
            (
                "Standby agents" if pool.key is None else f"Pool {name}: standby agents",
                ("day", "time -> agents"),
                pool_rows["schedule"],
            ),
        ]
    for title, headers, body in layout:
        table = Table(title=cell(title), title_justify="left")  # values as rich Text: no markup is read from them
        for header in headers:
            table.add_column(header)
        for row in body:
            table.add_row(*(cell(value) for value in row))
        console.print(table)


def summary_rows(config: EnvironmentConfig, result: SynthResult, pool: Pool | None = None) -> dict[str, list[tuple[str, ...]]]:
    """Plain rows for the summary tables: stacks, and `pool`'s (default: the first pool's) images and standby schedule."""
    pool = pool or config.pool
    stacks: list[tuple[str, ...]] = [
        (
            name,
            str(result.resource_count(name)),
            str(path.relative_to(result.out_dir.parent) if path.is_relative_to(result.out_dir.parent) else path),
        )
        for name, path in result.stacks.items()
    ]
    images: list[tuple[str, ...]] = []
    for image in pool.images:
        source = image.well_known or image.resource_id or f"gallery {image.gallery_image} ({image.version})"
        images.append((source, ", ".join(image.aliases) or "-", str(image.buffer)))
    return {"stacks": stacks, "images": images, "schedule": list(schedule_rows(config, pool))}


def schedule_rows(config: EnvironmentConfig, pool: Pool | None = None) -> list[tuple[str, str]]:
    """The standby schedule of `pool` (default: the first pool) in words: one row per day."""
    standby = (pool or config.pool).standby
    if standby.kind == "off":
        return [("standby", "none")]
    if standby.kind == "automatic":
        preference = standby.automatic.prediction_preference if standby.automatic else "Balanced"
        return [("standby", f"automatic ({preference})")]
    schedule = standby.manual
    assert schedule is not None
    if schedule.all_week is not None:
        return [("all week", f"{schedule.all_week} agents ({schedule.time_zone})")]
    rows = []
    for day in DAYS:
        entries = (schedule.days or {}).get(day, {})
        text = ", ".join(f"{time} -> {count}" for time, count in sorted(entries.items())) or "no change"
        rows.append((day.capitalize(), f"{text}" + (f" ({schedule.time_zone})" if entries else "")))
    return rows
