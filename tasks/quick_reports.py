"""The quick-report document (舆情快报, S1-4 §13: the paper report after the phone one) of one
case: numbered by year, rendered as .docx from the case and its items, stored like any report
(so it can be fetched and sent again, and a failed build is on the stuck list), and sent to the
report targets with the document attached. The lead's `report` step can call `send_quick`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from models.repo.cases import get_case
from models.repo.quick import next_issue, quick_facts
from models.repo.report_store import get_report, mark_built, mark_failed, register
from models.reports.periods import ReportKind, period_containing
from models.reports.quick import quick_report
from models.store.db import session_scope
from notifications.documents import quick_docx
from tasks.report_context import labels_for, office_for
from tasks.reports import Built, ReportFailed, send_report
from tasks.runtime import Runtime


@dataclass(frozen=True)
class Issue:
    year: int
    number: int


def build_quick(
    runtime: Runtime,
    *,
    case_id: int,
    now: datetime,
    by: str,
    gist: str = "",
    report_id: int | None = None,
    key: str | None = None,
) -> Built:
    """Issue (or, with `report_id`, build again) the quick report of a case; CaseError when
    there is no such case, ReportFailed (stored as failed) when it cannot be rendered. A `key`
    names the issue (the case flow's step): issued again under it, it is the same report."""
    tz = runtime.settings.tz
    with session_scope(runtime.engine) as session:
        if report_id is None:
            get_case(session, case_id)  # an unknown case: CaseError before anything is stored
            issue = _next(session, now.astimezone(tz).date(), runtime)
            report = register(
                session,
                key=key or f"quick|{issue.year}|{issue.number}",
                kind=ReportKind.QUICK,
                label=f"{issue.year}年第{issue.number}期",
                format="docx",
                filename=f"quick-{issue.year}-{issue.number:03d}-case{case_id}.docx",
                at=now,
                requested_by=by,
                case_id=case_id,
                params={"year": issue.year, "issue": issue.number, "gist": gist},
            )
        else:
            report = get_report(session, report_id)
        assert report.id is not None
        report_id, params = report.id, report.summary.get("params", {})
    try:
        content, summary = _render(runtime, case_id, params, now, report.requested_by)
    except Exception as exc:
        with session_scope(runtime.engine) as session:
            mark_failed(session, get_report(session, report_id), error=str(exc), at=now)
        raise ReportFailed(report_id, f"{type(exc).__name__}: {exc}") from exc
    with session_scope(runtime.engine) as session:
        stored = get_report(session, report_id)
        mark_built(session, stored, content=content, summary=summary, at=now)
    return Built(report_id, report.filename, content, summary)


def _next(session: Session, today: date, runtime: Runtime) -> Issue:
    year = period_containing(ReportKind.ANNUAL, today)
    start, end = year.bounds(runtime.settings.tz)
    return Issue(today.year, next_issue(session, year_start=start, year_end=end))


def _render(
    runtime: Runtime, case_id: int, params: dict[str, Any], now: datetime, by: str
) -> tuple[bytes, dict[str, Any]]:
    labels = labels_for(runtime)
    with Session(runtime.engine) as session:
        facts = quick_facts(session, case_id=case_id, gist=str(params.get("gist", "")))
    document = quick_report(
        facts,
        labels,
        issue=int(params["issue"]),
        year=int(params["year"]),
        office=office_for(runtime.settings).name,
        at=now,
        by=by,
    )
    lines = [document.issue_line, *(f"{name}：{value}" for name, value in document.fields)]
    subject = f"【舆情快报】{params['year']}年第{params['issue']}期：{facts.title}"
    summary = {"subject": subject, "message": "\n".join(lines), "case_id": case_id}
    return quick_docx(document), summary


def send_quick(
    runtime: Runtime,
    *,
    case_id: int,
    now: datetime,
    by: str,
    gist: str = "",
    key: str | None = None,
) -> dict[str, Any]:
    """Issue the case's quick report and send it to the report targets with the document."""
    built = build_quick(runtime, case_id=case_id, now=now, by=by, gist=gist, key=key)
    return {"report_id": built.report_id, **send_report(runtime, built.report_id, now=now)}
