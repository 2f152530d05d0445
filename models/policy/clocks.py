"""Deadline arithmetic: when an obligation falls due, on which clock.

Three clocks (DESIGN §4): ``wall`` is elapsed time, nights and holidays included; ``calendar_days``
follows the Civil Code's rules for periods (arts. 201–203: the start day is not counted, the
period ends at 24:00 of the last day, and a last day that is a rest day (法定休假日: statutory
holidays and weekend rest days; a 调休 make-up working day is not one) moves to the next
working day); ``working_days`` counts working days of the State Council calendar. Day clocks end
at 24:00 local time, or at the office's closing time when one is configured (art. 203: "有业务
时间的，停止业务活动的时间为截止时间"). Inputs are aware datetimes; results are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from models.policy.calendar import WorkCalendar
from models.policy.errors import PolicyError, UnknownCalendarYear

__all__ = [
    "DEFAULT_TZ",
    "Anchor",
    "Clock",
    "DueTime",
    "RuleLike",
    "due_at",
    "due_at_provisional",
    "require_aware",
    "utc_now",
]

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


class Clock(StrEnum):
    """How a duration is counted."""

    wall = "wall"
    calendar_days = "calendar_days"
    working_days = "working_days"


class Anchor(StrEnum):
    """The case event a deadline counts from."""

    occurrence = "occurrence"
    discovery = "discovery"
    post_time = "post_time"
    assessment = "assessment"
    contact_sheet_received = "contact_sheet_received"
    handling_completed = "handling_completed"
    closure = "closure"


@dataclass(frozen=True)
class DueTime:
    """A computed due time (aware, UTC); ``provisional`` when a year's calendar was guessed."""

    at: datetime
    provisional: bool = False


class RuleLike(Protocol):
    """What ``due_at`` needs from an obligation rule."""

    @property
    def clock(self) -> Clock: ...
    @property
    def duration(self) -> timedelta | None: ...
    @property
    def days(self) -> int | None: ...


Spec = RuleLike | tuple[timedelta | int, Clock]


def _split(spec: Spec) -> tuple[Clock, timedelta | None, int | None]:
    if isinstance(spec, tuple):
        amount, clock = spec
        if isinstance(amount, timedelta):
            return Clock(clock), amount, None
        return Clock(clock), None, int(amount)
    return spec.clock, spec.duration, spec.days


def _require_aware(anchor_at: datetime) -> None:
    if anchor_at.tzinfo is None or anchor_at.utcoffset() is None:
        raise PolicyError(
            f"锚点时间缺少时区：{anchor_at.isoformat()} / anchor time must be timezone-aware"
        )


def _end_of(day: date, tz: ZoneInfo, closing_time: time | None) -> datetime:
    """24:00 of ``day`` (00:00 of the next day), or ``closing_time`` on ``day``, as UTC."""
    if closing_time is None:
        local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    else:
        local = datetime.combine(day, closing_time.replace(tzinfo=None), tzinfo=tz)
    return local.astimezone(UTC)


def _day_due(clock: Clock, n: int, start: date, calendar: WorkCalendar, provisional: bool) -> date:
    if n < 1:
        raise PolicyError(f"天数必须 ≥ 1，实际为 {n} / days must be >= 1, got {n}")
    if clock is Clock.working_days:
        return calendar.add_working_days(start, n, provisional=provisional)
    return calendar.next_working_day_from(start + timedelta(days=n), provisional=provisional)


def _compute(
    spec: Spec,
    anchor_at: datetime,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    closing_time: time | None,
    provisional: bool,
) -> datetime:
    _require_aware(anchor_at)
    clock, duration, days = _split(spec)
    if clock is Clock.wall:
        if duration is None or duration <= timedelta(0):
            raise PolicyError("墙钟时限必须为正的时长 / a wall-clock rule needs a duration > 0")
        return (anchor_at + duration).astimezone(UTC)
    if days is None:
        raise PolicyError(f"{clock.value} 时限必须给出天数 / a {clock.value} rule needs days")
    start = anchor_at.astimezone(tz).date()
    return _end_of(_day_due(clock, days, start, calendar, provisional), tz, closing_time)


def due_at(
    spec: Spec,
    anchor_at: datetime,
    *,
    calendar: WorkCalendar,
    tz: ZoneInfo = DEFAULT_TZ,
    closing_time: time | None = None,
) -> DueTime:
    """The due time of ``spec`` (a rule, or ``(duration | days, clock)``) from ``anchor_at``.

    Strict: a year the calendar does not cover raises ``UnknownCalendarYear`` naming it.
    """
    return DueTime(at=_compute(spec, anchor_at, calendar, tz, closing_time, provisional=False))


def due_at_provisional(
    spec: Spec,
    anchor_at: datetime,
    *,
    calendar: WorkCalendar,
    tz: ZoneInfo = DEFAULT_TZ,
    closing_time: time | None = None,
) -> DueTime:
    """Like ``due_at`` but, for live cases, an uncovered year is counted with weekends only
    (plus override days) and the result is flagged ``provisional=True``."""
    try:
        return due_at(spec, anchor_at, calendar=calendar, tz=tz, closing_time=closing_time)
    except UnknownCalendarYear:
        at = _compute(spec, anchor_at, calendar, tz, closing_time, provisional=True)
        return DueTime(at=at, provisional=True)


# The one clock seam: code that needs "now" calls `utc_now()` once at its edge (a flow, a CLI
# command) and passes the value down; everything else takes the time as a parameter.


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def require_aware(value: datetime, *, name: str = "time") -> datetime:
    """Return `value` converted to UTC; refuse a naive datetime, whose zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone (got naive {value.isoformat()})")
    return value.astimezone(UTC)
