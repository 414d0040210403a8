"""Azure's .NET-style timespans (`hh:mm:ss` or `d.hh:mm:ss`) as Managed DevOps Pools accept them.

The form and limits are the azurerm provider's (internal/services/manageddevopspools/validate/
agent_lifetime.go, AgentLifetime and parseTimeSpan): an optional day count and a dot, then three
colon-separated numbers; hours 0-23, minutes and seconds 0-59, at most 7 days in all.
"""

from __future__ import annotations

import re
from datetime import timedelta

# Digits only ([0-9], not Unicode digits), at most 9 per part so no number grows without bound.
_TIMESPAN = re.compile(r"(?:([0-9]{1,9})\.)?([0-9]{1,9}):([0-9]{1,9}):([0-9]{1,9})")
MAXIMUM = timedelta(days=7)
ALLOWED = "hh:mm:ss or d.hh:mm:ss, from 00:00:00 to 7.00:00:00"


def parse_timespan(text: str) -> timedelta:
    """'02:00:00' -> 2 hours; raise ValueError naming the allowed form otherwise."""
    match = _TIMESPAN.fullmatch(text)  # the whole value: a trailing newline is not a timespan
    if not match:
        raise ValueError(f"{text!r} is not a timespan; write {ALLOWED}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"{text!r} has hours over 23 or minutes/seconds over 59; write {ALLOWED}")
    span = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if span > MAXIMUM:
        raise ValueError(f"{text!r} is longer than 7 days; write {ALLOWED}")
    return span


def canonical_timespan(text: str) -> str:
    """'0:30:00' -> '00:30:00', '0.02:00:00' -> '02:00:00', '7.0:0:0' -> '7.00:00:00'.

    The form the service returns, .NET's constant ("c") TimeSpan format `[d.]hh:mm:ss` with the day
    part only when there are days (Microsoft's Managed DevOps Pools docs show `7.00:00:00` and
    `00:30:00`). azapi compares what it sent with what it reads back, string for string, so writing
    any other spelling of the same span would show as a change on every plan.
    """
    span = parse_timespan(text)
    hours, rest = divmod(span.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{span.days}.{clock}" if span.days else clock


def parse_time_of_day(text: str) -> str:
    """'4:00' or '04:00:00' -> '04:00:00' (the schedule's canonical form); ValueError otherwise.

    mdpool writes the canonical form, which is what the provider requires of a schedule's `time`
    (helpers.go dayScheduleSchemaOptional: `^([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$`).
    """
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?", text)
    if not match:
        raise ValueError(f"{text!r} is not a time of day; write hh:mm or hh:mm:ss (00:00:00 to 23:59:59)")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"{text!r} is not a time of day; write hh:mm or hh:mm:ss (00:00:00 to 23:59:59)")
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"
