"""How long a build spent in each phase, from the template's `lastRunStatus.runSubState` as it is polled.

Image Builder API 2025-10-01 (`ImageTemplateLastRunStatus.runSubState`) names the phases of a run:
Queued, Building, Customizing, Optimizing, Validating, Distributing. Azure reports only the current
one, so a phase's start is the first poll that saw it, and its end the first poll that saw the next
phase or the run's end: every duration is exact to one poll interval.
"""

from __future__ import annotations

from dataclasses import dataclass

# The 2025-10-01 spec's RunSubState enum, in the order a run goes through them.
SUB_STATES = ("Queued", "Building", "Customizing", "Optimizing", "Validating", "Distributing")


@dataclass(frozen=True)
class PhaseTime:
    """One phase of a run: its sub-state name, when it was first seen (seconds into the build), how long."""

    phase: str
    started: float
    seconds: float


class PhaseClock:
    """Records when a build entered each phase; a phase seen again later (rare) is a second entry."""

    def __init__(self) -> None:
        self._entered: list[tuple[str, float]] = []
        self._ended: float | None = None

    def observe(self, sub_state: str | None, at: float) -> None:
        """A poll saw `sub_state` at `at` seconds into the build (None: no sub-state, e.g. ended)."""
        if sub_state and (not self._entered or self._entered[-1][0] != sub_state):
            self._entered.append((sub_state, at))

    def end(self, at: float) -> None:
        """The run ended (seen by the poll at `at`): the last phase stops there."""
        if self._ended is None:
            self._ended = at

    def times(self, now: float) -> tuple[PhaseTime, ...]:
        """Every phase so far; the current one runs until `now` (or the run's end)."""
        stop = self._ended if self._ended is not None else now
        ends = [at for _, at in self._entered[1:]] + [stop]
        return tuple(PhaseTime(phase, start, max(0.0, end - start)) for (phase, start), end in zip(self._entered, ends))


def slowest(phases: tuple[PhaseTime, ...] | list[PhaseTime]) -> PhaseTime | None:
    """The phase that took longest (a phase seen twice counts once per entry)."""
    return max(phases, key=lambda p: p.seconds, default=None)


def clock(seconds: float) -> str:
    """`mm:ss` (minutes may pass 59): how the build display and summaries show durations."""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def describe_phases(phases: tuple[PhaseTime, ...] | list[PhaseTime]) -> str:
    """`Queued 00:30, Building 04:10, Customizing 31:02`: the phases in the order they ran."""
    return ", ".join(f"{p.phase} {clock(p.seconds)}" for p in phases)
