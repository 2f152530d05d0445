"""Building and storing reports: plain functions (used by the CLI, the console and the report
flows) and the thin Prefect task over them. A build registers the report under its key first
(committed), gathers and renders it from a read-only session, then stores the file; a build that
raises is stored as failed with its error, so it is on the stuck list until a re-run. Sending is
`tasks.reports.send`'s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from models.policy.stages import StageEvent
from models.repo.reports.gather import gather
from models.repo.reports.queries import Scope
from models.repo.reports.store import get_report, mark_built, mark_failed, register
from models.reports.build import ReportInput, per_case, periodic_document, table_keys
from models.reports.digest import daily_document, digest_text
from models.reports.message import periodic_message
from models.reports.periods import (
    KIND_LABELS,
    Period,
    PeriodError,
    ReportKind,
    local_day,
    reported_period,
)
from models.reports.status import ReportStatus
from models.store.db import session_scope
from tasks.reports.context import closing_keys, format_for, labels_for, office_for, risk_points
from tasks.reports.render import render
from tasks.runtime import Runtime, prepare

Say = Callable[[str], None]


class ReportFailed(Exception):
    """A report could not be built; it is stored as failed (stuck) with this message."""

    def __init__(self, report_id: int, message: str) -> None:
        super().__init__(f"报告 {report_id} 生成失败：{message}")
        self.report_id = report_id


@dataclass(frozen=True)
class Filters:
    unit: str | None = None
    grade: str | None = None
    category: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"unit": self.unit, "grade": self.grade, "category": self.category}


@dataclass(frozen=True)
class Built:
    report_id: int
    filename: str
    content: bytes
    summary: dict[str, Any]
    reused: bool = False  # already built under its key: nothing was rebuilt


def report_key(kind: ReportKind, label: str, format: str, filters: Filters) -> str:
    parts = [kind.value, label, filters.unit or "*", filters.grade or "*", filters.category or "*"]
    return "|".join([*parts, format])


def filename_for(kind: ReportKind, label: str, format: str, filters: Filters) -> str:
    scope = "-".join(v for v in (filters.unit, filters.grade, filters.category) if v)
    safe = label.replace("（", "-").replace("）", "").replace("截至", "to")
    return f"{kind.value}-{safe}{('-' + scope) if scope else ''}.{format}"


@dataclass(frozen=True)
class Order:
    """What a build is asked for: the `kind` report of `period` as `format` (one `table` of it),
    of the cases `filters` keep, asked for by `requested_by`."""

    kind: ReportKind
    period: Period
    format: str
    requested_by: str
    filters: Filters
    table: str | None

    def key(self) -> str:
        format = self.format if self.table is None else f"{self.format}:{self.table}"
        return report_key(self.kind, self.period.label, format, self.filters)


def build_report(
    runtime: Runtime,
    *,
    kind: ReportKind,
    period: Period,
    format: str,
    now: datetime,
    requested_by: str = "schedule",
    filters: Filters = Filters(),
    table: str | None = None,
    rebuild: bool = True,
    say: Say | None = None,
) -> Built:
    """Build, store and return the report of `period`; with `rebuild=False` a report already
    built under the same key is returned as it is (a scheduled run that runs twice)."""
    order = Order(kind, period, format, requested_by, filters, table)
    _check_table(order)
    found = _registered(runtime, order, now, rebuild=rebuild)
    if isinstance(found, Built):
        return found
    report_id, filename = found
    try:
        content, summary = _render(runtime, order, now, say)
    except Exception as exc:
        with session_scope(runtime.engine) as session:
            mark_failed(session, get_report(session, report_id), error=_error(exc), at=now)
        raise ReportFailed(report_id, _error(exc)) from exc
    with session_scope(runtime.engine) as session:
        report = get_report(session, report_id)
        mark_built(session, report, content=content, summary=summary, at=now)
    return Built(report_id, filename, content, summary)


def _check_table(order: Order) -> None:
    """PeriodError, before anything is stored, when the report has no such table."""
    known = table_keys(order.kind)
    if order.table is not None and order.table not in known:
        kind, names = KIND_LABELS[order.kind], "、".join(known)
        raise PeriodError(f"--table：{kind}没有表 {order.table!r}（可选：{names}）")


def _registered(
    runtime: Runtime, order: Order, now: datetime, *, rebuild: bool
) -> Built | tuple[int, str]:
    """The report stored under the order's key (committed), as (id, file name) to build; or,
    with `rebuild=False` and the report built already, what was built."""
    kind, label, format, filters = order.kind, order.period.label, order.format, order.filters
    with session_scope(runtime.engine) as session:
        report = register(
            session,
            key=order.key(),
            kind=kind,
            label=label,
            format=format,
            filename=filename_for(kind, label, format, filters),
            at=now,
            requested_by=order.requested_by,
            period=order.period.bounds(runtime.settings.tz),
            unit_id=filters.unit,
            params={**filters.as_dict(), "table": order.table},
        )
        assert report.id is not None
        if not rebuild and report.status == ReportStatus.BUILT and report.content is not None:
            return Built(report.id, report.filename, report.content, report.summary, reused=True)
        return report.id, report.filename


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _render(
    runtime: Runtime, order: Order, now: datetime, say: Say | None
) -> tuple[bytes, dict[str, Any]]:
    data = report_input(
        runtime,
        period=order.period,
        now=now,
        filters=order.filters,
        requested_by=order.requested_by,
        say=say,
    )
    if order.kind is ReportKind.DAILY:
        document = daily_document(data)
        subject, message = digest_text(data)
    else:
        document = periodic_document(data)
        subject, message = periodic_message(order.kind, document)
    if say is not None:
        say(f"生成 {order.format} 文件…")
    content = render(document, order.format, table=order.table)
    summary = {**document.summary, "title": document.title}
    return content, {**summary, "subject": subject, "message": message}


def report_input(
    runtime: Runtime,
    *,
    period: Period,
    now: datetime,
    filters: Filters = Filters(),
    requested_by: str = "schedule",
    say: Say | None = None,
) -> ReportInput:
    """Everything the period's figures are computed from, read in one read-only session."""
    labels = labels_for(runtime)
    start, end = period.bounds(labels.tz)
    scope = Scope(start, end, filters.unit, filters.grade, filters.category)
    with Session(runtime.engine) as session:
        return gather(
            session,
            period=period,
            scope=scope,
            as_of=now,
            labels=labels,
            resolution_keys=closing_keys(runtime.policy, StageEvent.close),
            report_keys=closing_keys(runtime.policy, StageEvent.report),
            office=office_for(runtime.settings, filler=requested_by),
            per_case=per_case(period.kind),
            risks=risk_points(runtime.settings),
            say=say,
        )


def scheduled_period(runtime: Runtime, kind: ReportKind, now: datetime) -> Period:
    """The period a scheduled run at `now` reports, in the office's time zone."""
    december = runtime.settings.reports.monthly.december_day
    return reported_period(kind, local_day(now, runtime.settings.tz), december_day=december)


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=[10])
def build_scheduled(kind: str, at: datetime, config: str | None = None) -> dict[str, Any]:
    """Build (once per period) the report a scheduled run of `kind` at `at` makes."""
    runtime = prepare(config)
    report_kind = ReportKind(kind)
    period = scheduled_period(runtime, report_kind, at)
    built = build_report(
        runtime,
        kind=report_kind,
        period=period,
        format=format_for(runtime.settings, report_kind),
        now=at,
        rebuild=False,
    )
    return {"report_id": built.report_id, "period": period.label, "reused": built.reused}
