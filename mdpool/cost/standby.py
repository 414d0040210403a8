"""How many agent-hours a week a pool's standby schedule keeps online, read from the pool's body.

The schedule is the body's `agentProfile` (Microsoft.DevOpsInfrastructure/pools@2026-06-02), so the
same function reads what `mdpool synth` writes today and what a base output of a review holds.
The semantics are Microsoft's ("Configure scaling", Managed DevOps Pools, Manual standby):
- `daysData` with seven items is the week starting on Sunday; each `"hh:mm:ss": count` sets the
  count from that time on, "maintained until the next entry, which can be on the same day, or on a
  following day"; counts do not reset at the end of a day or of the week, and an empty day changes
  nothing. So the count before the week's first entry is the week's last count (the week wraps).
- `daysData` with one item is the all-week scheme: its one count, around the clock.
- Automatic standby (`resourcePredictionsProfile.kind: Automatic`) is predicted by the service from
  the pool's history: no figure can be computed from the config.
The count is the number of agents online (busy or waiting): "if the current provisioning count is
10, and there are five agents running jobs and two agents on standby, Managed DevOps Pools will
start three additional standby agents". A schedule's agent-hours are therefore what the pool keeps
online at least; jobs beyond that count start more agents, which this figure leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

HOURS_PER_WEEK = 168
_SECONDS_PER_DAY = 24 * 3600
_SECONDS_PER_WEEK = 7 * _SECONDS_PER_DAY


@dataclass(frozen=True)
class StandbyHours:
    kind: str
    """"off", "manual" or "automatic"."""
    weekly: float | None
    """Agent-hours a week the schedule keeps online; None when the service decides (automatic) or
    the schedule cannot be read."""
    note: str = ""
    """Why there is no figure, when there is none."""


def _seconds(time: str) -> int | None:
    parts = time.split(":")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    hours, minutes, seconds = (int(part) for part in parts)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def standby_hours(agent_profile: Mapping[str, Any] | None) -> StandbyHours:
    """The weekly agent-hours of the standby schedule in `agent_profile` (a pool body's agentProfile)."""
    profile = agent_profile.get("resourcePredictionsProfile") if isinstance(agent_profile, Mapping) else None
    kind = profile.get("kind") if isinstance(profile, Mapping) else None
    if kind is None:
        return StandbyHours("off", 0.0)
    if kind == "Automatic":
        return StandbyHours("automatic", None, "automatic standby: the service predicts the count from the pool's history")
    if kind != "Manual":
        return StandbyHours(str(kind), None, f"standby kind {kind!r} is not one mdpool can estimate")
    assert isinstance(agent_profile, Mapping)
    predictions = agent_profile.get("resourcePredictions")
    days = predictions.get("daysData") if isinstance(predictions, Mapping) else None
    if not isinstance(days, list) or len(days) not in (1, 7) or not all(isinstance(day, Mapping) for day in days):
        return StandbyHours("manual", None, "the manual schedule's daysData is neither one nor seven maps")
    events: list[tuple[int, int]] = []
    for index, day in enumerate(days):
        for time, value in day.items():
            second, count = _seconds(str(time)), _count(value)
            if second is None or count is None:
                return StandbyHours("manual", None, f"the manual schedule holds {time!r}: {value!r}, not a time and a count")
            events.append((index * _SECONDS_PER_DAY + second, count))
    if len(days) == 1:
        # The all-week scheme: the single entry's count holds the whole week.
        counts = [count for _, count in events]
        return StandbyHours("manual", float(counts[-1] * HOURS_PER_WEEK) if counts else 0.0)
    if not events:
        return StandbyHours("manual", 0.0)
    events.sort()
    agent_seconds = 0
    current = events[-1][1]  # the week wraps: before the first entry, the last entry's count holds
    previous = 0
    for second, count in events:
        agent_seconds += current * (second - previous)
        current, previous = count, second
    agent_seconds += current * (_SECONDS_PER_WEEK - previous)
    return StandbyHours("manual", agent_seconds / 3600)
