"""When a source is due: its own interval, or the faster one while a sensitive period (两会,
高考, 国庆 …, seeds-spec §6.4) is on, counted from its last run. Pure: time is a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    name: str
    start: date
    end: date  # inclusive
    blackout: bool = False  # 发布静默期 (S4): releases and outside messages need consent


def active_period(periods: Sequence[Period], at: datetime, tz: ZoneInfo) -> Period | None:
    """The sensitive period that the local date of `at` falls in, if any."""
    day = at.astimezone(tz).date()
    return next((p for p in periods if p.start <= day <= p.end), None)


def blackout_at(periods: Sequence[Period], at: datetime, tz: ZoneInfo) -> str:
    """The name of a sensitive period with a release blackout that `at` falls in ("" if none)."""
    return next(
        (p.name for p in periods if p.blackout and p.start <= at.astimezone(tz).date() <= p.end),
        "",
    )


def interval_for(normal: int, sensitive: int, *, in_sensitive_period: bool) -> timedelta:
    """The source's interval now; a sensitive period never makes it slower."""
    return timedelta(seconds=min(normal, sensitive) if in_sensitive_period else normal)


def is_due(last_run_at: datetime | None, interval: timedelta, at: datetime) -> bool:
    """Due when never run, or when the interval has passed; a tenth of it (at most 30 s) is
    forgiven so a source whose interval equals the schedule's is not skipped by jitter."""
    if last_run_at is None:
        return True
    slack = min(interval / 10, timedelta(seconds=30))
    return at >= last_run_at + interval - slack
