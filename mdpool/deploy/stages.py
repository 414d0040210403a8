"""The deploy's stages, in the only order Azure accepts (cheap to import: the CLI's `--stage` choices)."""

from __future__ import annotations

from enum import Enum
from typing import Iterable


class Stage(str, Enum):
    """One stage of `mdpool deploy`; `--stage` runs one of them, no `--stage` runs all, in this order."""

    GALLERY = "gallery"
    IMAGES = "images"
    POOL = "pool"


ALL_STAGES: tuple[Stage, ...] = (Stage.GALLERY, Stage.IMAGES, Stage.POOL)


def in_order(stages: Iterable[Stage | str]) -> tuple[Stage, ...]:
    """The chosen stages in deploy order, each once (an empty choice is every stage)."""
    chosen = {Stage(stage) for stage in stages}
    return tuple(stage for stage in ALL_STAGES if stage in chosen) or ALL_STAGES
