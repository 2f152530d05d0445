"""Stored reports: register one under its key (a scheduled run that runs twice finds the first),
keep the built file or the error that stopped it, read them back, and say where each one's
sending stands from its outbox rows (every recipient reached on some channel, or not). A report
that failed to build, whose build never finished, or that some recipient never got is stuck,
like a case step, until `yuqing report rerun`. Keyword-only functions over a Session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from models.policy.states import NotificationStatus
from models.repo.cases import CaseError
from models.reports.periods import ReportKind
from models.reports.status import Delivery, ReportStatus
from models.store.tables import Notification, StoredReport

GRACE = timedelta(minutes=10)  # a build still pending after this died on the way
ERROR_MAX = 2000


def attachment_ref(report_id: int) -> str:
    """How an outbox row names the report it carries."""
    return f"report:{report_id}"


def register(
    session: Session,
    *,
    key: str,
    kind: ReportKind,
    label: str,
    format: str,
    filename: str,
    at: datetime,
    requested_by: str,
    period: tuple[datetime, datetime] | None = None,
    unit_id: str | None = None,
    case_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> StoredReport:
    """The report stored under `key`, created (pending) if there is none yet; `params` are what
    a re-run needs to build it again (its filters), kept in its summary."""
    found = session.exec(select(StoredReport).where(StoredReport.key == key)).first()
    if found is not None:
        return found
    report = StoredReport(
        key=key,
        kind=kind,
        label=label,
        format=format,
        filename=filename,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        unit_id=unit_id,
        case_id=case_id,
        requested_by=requested_by,
        created_at=at,
        summary={"params": params or {}},
    )
    session.add(report)
    session.flush()
    return report


def mark_built(
    session: Session, report: StoredReport, *, content: bytes, summary: dict[str, Any], at: datetime
) -> None:
    params = report.summary.get("params", {})
    report.content, report.size = content, len(content)
    report.summary = {**summary, "params": params}
    report.status, report.error, report.built_at = ReportStatus.BUILT, None, at
    report.attempts += 1
    session.add(report)


def mark_failed(session: Session, report: StoredReport, *, error: str, at: datetime) -> None:
    """Keep the error; a report built before keeps its file (the new build is what failed)."""
    report.status, report.error = ReportStatus.FAILED, error[:ERROR_MAX]
    report.attempts += 1
    session.add(report)


def get_report(session: Session, report_id: int) -> StoredReport:
    report = session.get(StoredReport, report_id)
    if report is None:
        raise CaseError(f"报告 {report_id} 不存在 (unknown report)")
    return report


def list_reports(
    session: Session, *, kind: ReportKind | None = None, limit: int = 100
) -> Sequence[StoredReport]:
    """The latest reports first, without their files' bytes loaded into every row."""
    query = (
        select(StoredReport)
        .options(defer(StoredReport.content))  # type: ignore[arg-type]
        .order_by(col(StoredReport.created_at).desc(), col(StoredReport.id).desc())
    )
    if kind is not None:
        query = query.where(StoredReport.kind == kind)
    return session.exec(query.limit(limit)).all()


@dataclass(frozen=True)
class Sending:
    """A report's sending: per recipient, whether some channel delivered it."""

    state: Delivery
    delivered: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # recipients whose every channel failed
    failed_rows: tuple[str, ...] = ()  # the last failed row of each of them (re-armable)


def sending(session: Session, reports: Sequence[StoredReport]) -> dict[int, Sending]:
    """Where each report's sending stands (one query for them all)."""
    refs = {attachment_ref(r.id): r for r in reports if r.id is not None}
    rows: dict[int, list[Notification]] = {}
    if refs:
        query = (
            select(Notification)
            .where(col(Notification.attachment).in_(list(refs)))
            .order_by(col(Notification.created_at), col(Notification.id))
        )
        for row in session.exec(query):
            report = refs[row.attachment or ""]
            assert report.id is not None
            rows.setdefault(report.id, []).append(row)
    return {r.id: _sending(r, rows.get(r.id, [])) for r in reports if r.id is not None}


def _sending(report: StoredReport, rows: list[Notification]) -> Sending:
    if report.send_requested_at is None and not rows:
        return Sending(Delivery.NOT_SENT)
    if not rows:  # asked for, but nobody could be told (no one holds the roles, or no channel)
        return Sending(Delivery.UNDELIVERED)
    by_person: dict[str, list[Notification]] = {}
    for row in rows:
        by_person.setdefault(row.recipient_id, []).append(row)
    delivered, waiting, failed, last = [], [], [], []
    for person, mine in by_person.items():
        statuses = {row.status for row in mine}
        # Every channel failed and it is being tried again: not delivered, until it is.
        unreached = all(row.unreachable_since is not None for row in mine)
        if NotificationStatus.SENT in statuses:
            delivered.append(person)
        elif statuses & {NotificationStatus.PENDING, NotificationStatus.SENDING} and not unreached:
            waiting.append(person)
        else:
            failed.append(person)
            last.append(mine[-1].id)
    state = Delivery.UNDELIVERED if failed else Delivery.SENDING if waiting else Delivery.DELIVERED
    return Sending(state, tuple(delivered), tuple(waiting), tuple(failed), tuple(last))


@dataclass(frozen=True)
class StuckReport:
    report: StoredReport
    reason: str  # one line for office staff
    sending: Sending


def stuck_reports(
    session: Session, *, now: datetime, grace: timedelta = GRACE
) -> list[StuckReport]:
    """Reports that failed to build, whose build never finished, or that some recipient never
    got on any channel; oldest first."""
    stuck: list[StuckReport] = []
    recent = list(list_reports(session, limit=1000))
    states = sending(session, recent)
    for report in reversed(recent):
        assert report.id is not None
        state = states[report.id]
        if report.status == ReportStatus.FAILED:
            stuck.append(StuckReport(report, f"生成失败：{report.error or ''}", state))
        elif report.status == ReportStatus.PENDING and report.created_at < now - grace:
            stuck.append(StuckReport(report, "生成中断（进程退出）", state))
        elif state.state is Delivery.UNDELIVERED:
            who = "、".join(state.failed) or "（没有可通知的接收人）"
            stuck.append(StuckReport(report, f"未送达：{who}", state))
    return stuck
