"""The quick-report document (舆情快报, S1-4 §13: the paper report after the phone one) of one
case: one issue per case and report (its first report; 续报 will be further ones), numbered by
year with the number stored, so issuing it again — the case flow's step, `yuqing report quick`,
a re-export — rebuilds the same issue (期号, date and 报送人 kept, the facts brought up to date);
rendered as .docx on A4 from the case and its items, stored like any report (so it can be fetched
and sent again, and a failed build is on the stuck list), and sent to the report targets with
the document attached. The 报送人 is a person of the directory, never an OS account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.repo.cases import get_case
from models.repo.reports.quick import next_issue, quick_facts, quick_key
from models.repo.reports.store import get_report, mark_built, mark_failed, register
from models.reports.periods import ReportKind
from models.reports.quick import quick_report
from models.store.db import session_scope
from models.store.tables import StoredReport
from tasks.reports.build import Built, ReportFailed
from tasks.reports.context import labels_for, office_for
from tasks.reports.render import quick_docx
from tasks.reports.send import send_report
from tasks.runtime import Runtime

ATTEMPTS = 3  # two issuers taking the same number at once: the loser takes the next one


def build_quick(
    runtime: Runtime,
    *,
    case_id: int,
    now: datetime,
    by: str,
    gist: str = "",
    report_id: int | None = None,
    ordinal: int = 1,
    changes: Sequence[str] = (),
) -> Built:
    """Issue the case's `ordinal`-th report (1: its quick report; then its 续报 with what
    `changes`) the first time, or build that issue again (`report_id`, or the same ordinal);
    CaseError when there is no such case, ReportFailed (stored as failed) when it cannot be
    rendered. `by` is the person (id) who sends it; `gist`, when given, replaces the comments'
    gist."""
    if report_id is None:
        issue = Issue(key=quick_key(case_id, ordinal), ordinal=ordinal, changes=tuple(changes))
        report_id = _issue(runtime, case_id=case_id, now=now, by=by, gist=gist, issue=issue)
    with session_scope(runtime.engine) as session:
        report = get_report(session, report_id)
        params, issued = report.summary.get("params", {}), report.created_at
        reporter, filename = report.requested_by, report.filename  # as first issued
    try:
        content, summary = _render(runtime, case_id, params, issued, reporter)
    except Exception as exc:
        with session_scope(runtime.engine) as session:
            mark_failed(session, get_report(session, report_id), error=str(exc), at=now)
        raise ReportFailed(report_id, f"{type(exc).__name__}: {exc}") from exc
    with session_scope(runtime.engine) as session:
        stored = get_report(session, report_id)
        mark_built(session, stored, content=content, summary=summary, at=now)
    return Built(report_id, filename, content, summary)


@dataclass(frozen=True)
class Issue:
    """Which of the case's reports: its stored key, its ordinal, what its 续报 reports."""

    key: str
    ordinal: int = 1
    changes: tuple[str, ...] = ()


def _issue(
    runtime: Runtime, *, case_id: int, now: datetime, by: str, gist: str, issue: Issue
) -> int:
    """The stored report under the key, created with the year's next number if there is none."""
    year = now.astimezone(runtime.settings.tz).year
    for attempt in range(ATTEMPTS):
        try:
            with session_scope(runtime.engine) as session:
                get_case(session, case_id)  # an unknown case: CaseError before anything is stored
                return _stored(
                    session, issue=issue, case_id=case_id, year=year, now=now, by=by, gist=gist
                )
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _stored(
    session: Session, *, issue: Issue, case_id: int, year: int, now: datetime, by: str, gist: str
) -> int:
    found = session.exec(select(StoredReport).where(StoredReport.key == issue.key)).first()
    if found is not None:
        assert found.id is not None
        if gist:  # a new gist is the facts brought up to date; the issue stays the same
            params = found.summary.get("params", {})
            found.summary = {**found.summary, "params": {**params, "gist": gist}}
            session.add(found)
        return found.id
    number = next_issue(session, year=year)
    report = register(
        session,
        key=issue.key,
        kind=ReportKind.QUICK,
        label=f"{year}年第{number}期",
        format="docx",
        filename=f"quick-{year}-{number:03d}-case{case_id}.docx",
        at=now,
        requested_by=by,
        case_id=case_id,
        params={
            "year": year,
            "issue": number,
            "gist": gist,
            "ordinal": issue.ordinal,
            "changes": list(issue.changes),
        },
    )
    report.issue_year, report.issue_no = year, number
    session.add(report)
    session.flush()
    assert report.id is not None
    return report.id


def _render(
    runtime: Runtime, case_id: int, params: dict[str, Any], issued: datetime, by: str
) -> tuple[bytes, dict[str, Any]]:
    labels = labels_for(runtime)
    gist, tz = str(params.get("gist", "")), runtime.settings.tz
    with Session(runtime.engine) as session:
        facts = quick_facts(session, case_id=case_id, gist=gist, tz=tz)
    document = quick_report(
        facts,
        labels,
        issue=int(params["issue"]),
        year=int(params["year"]),
        office=office_for(runtime.settings).name,
        at=issued,
        by=by,
        ordinal=int(params.get("ordinal", 1)),
        changes=[str(c) for c in params.get("changes", [])],
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
) -> dict[str, Any]:
    """Issue the case's quick report and send it to the report targets with the document."""
    built = build_quick(runtime, case_id=case_id, now=now, by=by, gist=gist)
    return {"report_id": built.report_id, **send_report(runtime, built.report_id, now=now)}
