"""The rollout's state machine, persisted atomically (temp file + rename) beside the Terraform state.

One file per environment, `<state folder>/rollout-<environment>.json` (the local state folder: the
config's `state.local.directory`, beside the synth output). Every phase's step is safe to run again,
and the phase is written *before* its step's effect is relied on, so a rollout stopped anywhere
(Ctrl-C, SIGTERM, a crash, a lost machine) resumes on the next `mdpool rollout` at the phase it was in.

    holding -> canary -> smoke -> promoting -> recycling -> promoted
                          \\-> rolling_back -> rolled_back
    (any phase before promoting) --abort--> rolling_back

docs/rollout.md draws it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mdpool.config import EnvironmentConfig

HOLDING, CANARY, SMOKE, PROMOTING, RECYCLING, PROMOTED = "holding", "canary", "smoke", "promoting", "recycling", "promoted"
ROLLING_BACK, ROLLED_BACK = "rolling_back", "rolled_back"
TERMINAL = (PROMOTED, ROLLED_BACK)
CANARY_PHASES = (CANARY, SMOKE)
"""The phases in which the pool stack carries the canary image (mdpool.rollout.overlay)."""
NEXT = {
    HOLDING: (CANARY, ROLLING_BACK),
    CANARY: (SMOKE, ROLLING_BACK),
    SMOKE: (PROMOTING, ROLLING_BACK),
    PROMOTING: (RECYCLING,),
    RECYCLING: (PROMOTED,),
    ROLLING_BACK: (ROLLED_BACK,),
    PROMOTED: (),
    ROLLED_BACK: (),
}
"""The transitions the machine allows; anything else is a bug, refused by `advance`."""
FORMAT = 1


@dataclass
class SmokeRun:
    """One queued smoke run: where, which, and how it ended (state/result as the Runs API says them)."""

    organization: str
    project: str
    pipeline_id: int
    run_id: int
    url: str
    state: str = "inProgress"
    result: str | None = None

    @property
    def finished(self) -> bool:
        return self.state == "completed"

    @property
    def succeeded(self) -> bool:
        return self.finished and self.result == "succeeded"


@dataclass
class RolloutState:
    image: str
    version: str
    previous: str
    pools: list[str]
    phase: str = HOLDING
    runs: list[SmokeRun] = field(default_factory=list)
    failure: str | None = None
    """Why the rollout rolled back: the failed run (with its URL), a timeout, or an abort."""
    format: int = FORMAT

    @property
    def finished(self) -> bool:
        return self.phase in TERMINAL

    @property
    def canary_alias(self) -> str:
        return canary_alias(self.image)

    def advance(self, phase: str) -> None:
        if phase not in NEXT[self.phase]:
            raise ValueError(f"rollout of {self.image}: cannot go from {self.phase} to {phase}")
        self.phase = phase

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RolloutState":
        runs = [SmokeRun(**run) for run in data.get("runs") or []]
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "runs"}
        state = cls(**fields, runs=runs)
        if state.phase not in NEXT:
            raise ValueError(f"unknown phase {state.phase!r}")
        return state


def canary_alias(image: str) -> str:
    """The alias a pipeline demands to run on the canary: `ImageOverride -equals <image>-canary`."""
    return f"{image}-canary"


def state_path(config: "EnvironmentConfig", out_dir: Path | str) -> Path:
    """`<folder holding the synth output>/<state.local.directory>/rollout-<environment>.json`."""
    return Path(out_dir).absolute().parent / config.state.local.directory.strip("/") / f"rollout-{config.environment}.json"


class StateFileError(Exception):
    """The rollout file cannot be read: one line saying which file and what to do."""


def load(path: Path) -> RolloutState | None:
    """The rollout recorded in `path`, or None when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateFileError(f"{path}: cannot read the rollout state ({error.strerror})") from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format') if isinstance(data, dict) else None!r}, expected {FORMAT}")
        return RolloutState.from_json(data)
    except (ValueError, TypeError) as error:
        raise StateFileError(
            f"{path}: not a rollout state mdpool can read ({error}); move it away and run `mdpool rollout` again"
        ) from None


def save(path: Path, state: RolloutState) -> None:
    """Write `state` atomically: a temporary file in the same folder, flushed to disk, then renamed over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_json(), handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)  # atomic on POSIX and Windows: readers see the old file or the new one
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
