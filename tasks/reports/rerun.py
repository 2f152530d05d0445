"""Re-running stuck reports (`models.repo.reports.store.stuck_reports`) from what is stored: a
report that failed to build, or whose build died, is built again under the same key with the
same period and filters (then sent, when it was a scheduled one or its sending was asked for);
a report some recipient never got has the failed rows of those recipients put back in the
outbox, and the dispatcher runs. Nothing delivered is sent twice: the outbox keys see to it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.repo.cases import CaseError
from models.repo.reports.store import StuckReport, stuck_reports
from models.reports.periods import Period, ReportKind
from models.reports.status import ReportStatus
from models.store.db import session_scope
from models.store.tables import StoredReport
from tasks.reports.build import Filters, build_report
from tasks.reports.quick import build_quick
from tasks.reports.send import rearm, send_report
from tasks.runtime import Runtime


def stored_period(report: StoredReport, tz: ZoneInfo) -> Period:
    """The period a stored report covers, as local days."""
    if report.period_start is None or report.period_end is None:
        raise CaseError(f"报告 {report.id} 没有记录期间，无法重新生成")
    return Period(
        report.kind, _day(report.period_start, tz), _day(report.period_end, tz), report.label
    )


def _day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def rerun_reports(
    runtime: Runtime, *, now: datetime, report_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Repair every stuck report (or those of `report_ids`); one summary per report."""
    with Session(runtime.engine) as session:
        stuck = stuck_reports(session, now=now)
        session.expunge_all()
    if report_ids is not None:
        known = {s.report.id for s in stuck}
        missing = [i for i in report_ids if i not in known]
        if missing:
            names = "、".join(str(i) for i in missing)
            raise CaseError(f"报告 {names} 不在待重跑列表中（已生成并已送达，或不存在）")
        stuck = [s for s in stuck if s.report.id in report_ids]
    return [_rerun(runtime, item, now) for item in stuck]


def _rerun(runtime: Runtime, item: StuckReport, now: datetime) -> dict[str, Any]:
    report = item.report
    assert report.id is not None
    done: dict[str, Any] = {
        "report_id": report.id,
        "kind": report.kind.value,
        "label": report.label,
        "found": item.reason,
    }
    if report.status != ReportStatus.BUILT:
        _rebuild(runtime, report, now)
        done["rebuilt"] = True
        if report.send_requested_at is None and report.requested_by != "schedule":
            return done
    else:
        with session_scope(runtime.engine) as session:
            done["rearmed"] = rearm(session, item.sending.failed_rows)
    done["sent"] = send_report(runtime, report.id, now=now)
    return done


def _rebuild(runtime: Runtime, report: StoredReport, now: datetime) -> None:
    assert report.id is not None
    params = report.summary.get("params", {})
    if report.kind is ReportKind.QUICK:
        assert report.case_id is not None
        build_quick(
            runtime, case_id=report.case_id, now=now, by=report.requested_by, report_id=report.id
        )
        return
    build_report(
        runtime,
        kind=report.kind,
        period=stored_period(report, runtime.settings.tz),
        format=report.format,
        now=now,
        requested_by=report.requested_by,
        filters=Filters(params.get("unit"), params.get("grade"), params.get("category")),
        table=params.get("table"),
    )
