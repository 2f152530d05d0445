"""When each periodic report runs, as cron expressions in the office's local time (the
deployments attach the time zone): daily at the digest time, weekly on the configured weekday,
monthly on the configured day (S0-14's December exception: December's form on its own day of
December, and no January run for it), quarterly on the first day of each quarter (S0-12: at
each quarter's end, the quarter just ended), half-yearly on 1 January and 1 July, annual on its
day.
Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from models.reports.periods import ReportKind

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Timing:
    """One report kind's schedule, from the settings."""

    kind: ReportKind
    at: time
    weekday: str = "monday"
    day: int = 1
    month: int = 1
    december_day: int | None = None


def crons(timing: Timing) -> tuple[str, ...]:
    """The cron expressions (minute hour day month weekday) the report runs on."""
    at = f"{timing.at.minute} {timing.at.hour}"
    kind = timing.kind
    if kind is ReportKind.DAILY:
        return (f"{at} * * *",)
    if kind is ReportKind.WEEKLY:
        return (f"{at} * * {(WEEKDAYS.index(timing.weekday) + 1) % 7}",)
    if kind is ReportKind.MONTHLY:
        if timing.december_day is None:
            return (f"{at} {timing.day} * *",)
        return (f"{at} {timing.day} 2-12 *", f"{at} {timing.december_day} 12 *")
    if kind is ReportKind.QUARTERLY:
        return (f"{at} 1 1,4,7,10 *",)
    if kind is ReportKind.HALFYEAR:
        return (f"{at} 1 1,7 *",)
    if kind is ReportKind.ANNUAL:
        return (f"{at} {timing.day} {timing.month} *",)
    raise ValueError(f"{kind.value} has no schedule")
