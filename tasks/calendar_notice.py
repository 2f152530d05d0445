"""Telling the operators that the working-day calendar lacks a year (this year; from 1 December
next year too: the State Council publishes its 放假安排 each autumn), once per year through the
outbox, from the daily report's run — so a `yuqing serve` running through 1 December says it
too, not only at start-up. The people told are those told of the system's own gaps (监测盲区,
`collect.gap_alert_roles`)."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.policy.calendar import calendar_warning, missing_years
from models.policy.notices import Notice, NoticeKind
from models.store.db import session_scope
from notifications.notices import deliver
from tasks.runtime import Runtime, context_for, prepare


def calendar_notices(runtime: Runtime, now: datetime) -> list[Notice]:
    """One notice per missing year: before it begins (from 1 December) and once in it."""
    today = now.astimezone(runtime.settings.tz).date()
    return [
        Notice(
            kind=NoticeKind.MONITORING,
            occasion=f"calendar-{year}-{'ahead' if year > today.year else 'due'}",
            headline=f"【日历缺少{year}年】按工作日计算的时限将为“暂定”",
            roles=tuple(runtime.settings.collect.gap_alert_roles),
            lines=(calendar_warning(year).removeprefix("calendar.file: "),),
        )
        for year in missing_years(runtime.calendar, today)
    ]


def tell_calendar_gaps(runtime: Runtime, now: datetime) -> int:
    """Queue the notices (each year's once: the outbox key holds); how many were queued."""
    notices = calendar_notices(runtime, now)
    if not notices:
        return 0
    with session_scope(runtime.engine) as session:
        return deliver(session, notices, ctx=context_for(runtime), now=now)


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=[10])
def warn_calendar_gaps(at: datetime, config: str | None = None) -> int:
    return tell_calendar_gaps(prepare(config), at)
