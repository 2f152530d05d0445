"""`gather`: run every report query of a period (`models.repo.reports.queries`) in one read-only
session and feed the pure figures (`models.reports`): the SLA tally from the streamed deadlines,
each case's steps when the report has a row per case, the accountability evidence (or, for the
statistics of a long period, only how each lapse was judged). Keyword-only; reads only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from models.repo.reports.accountability import accountability_rows, accountability_verdicts, judged
from models.repo.reports.queries import (
    Scope,
    approvals,
    case_filter,
    case_rows,
    delivery_tallies,
    grade_changes,
    obligation_rows,
    referrals,
    role_units,
)
from models.reports.build import Office, ReportInput
from models.reports.figures import SlaTally
from models.reports.labels import Labels
from models.reports.ledger import Progress
from models.reports.periods import Period
from models.reports.risks import RiskPoint
from models.reports.rows import AccountabilityRow, CaseRow

Say = Callable[[str], None]


def gather(
    session: Session,
    *,
    period: Period,
    scope: Scope,
    as_of: datetime,
    labels: Labels,
    resolution_keys: frozenset[str],
    report_keys: frozenset[str],
    office: Office,
    per_case: bool = True,
    risks: Sequence[RiskPoint] = (),
    say: Say | None = None,
) -> ReportInput:
    """Run every query of the period and feed the figures; `per_case=False` (a report with no
    per-case table) skips what each case has done; `say` hears each step."""
    tell = say or (lambda _: None)
    tell("读取案件…")
    cases = case_rows(session, scope)
    tell(f"案件 {len(cases)} 件；统计时限…")
    sla, progress = _deadlines(session, scope, cases, as_of, resolution_keys, per_case=per_case)
    tell(f"时限 {sla.total.due + sla.total.cancelled} 项；读取审批、移送、问责与送达…")
    evidence, verdicts = _lapses(session, scope, report_keys, per_case=per_case)
    return ReportInput(
        period=period,
        as_of=as_of,
        labels=labels,
        cases=cases,
        sla=sla,
        progress=progress,
        regrades=grade_changes(session, scope),
        approvals=approvals(session, scope),
        referrals=referrals(session, scope),
        accountability=evidence,
        verdicts=verdicts,
        deliveries=delivery_tallies(session, scope),
        office=office,
        scope=scope.describe(labels),
        risks=risks,
    )


def _deadlines(
    session: Session,
    scope: Scope,
    cases: Sequence[CaseRow],
    as_of: datetime,
    resolution_keys: frozenset[str],
    *,
    per_case: bool,
) -> tuple[SlaTally, dict[int, Progress]]:
    """Stream the deadlines once: those due in the period into the SLA tally, and, `per_case`,
    every one of the cases into that case's steps."""
    progress = {c.id: Progress() for c in cases} if per_case else {}
    sla = SlaTally(as_of=as_of, role_units=role_units(session))
    start, end, now = scope.start.timestamp(), scope.end.timestamp(), as_of.timestamp()
    for row in obligation_rows(session, scope, per_case=per_case):
        if start <= row.due_at < end:
            sla.add(row)
        step = progress.get(row.case_id)
        if step is not None:
            step.add(row, as_of=now, resolution_keys=resolution_keys)
    return sla, progress


def _lapses(
    session: Session, scope: Scope, report_keys: frozenset[str], *, per_case: bool
) -> tuple[list[AccountabilityRow], list[tuple[str, bool | None]]]:
    """The lapses recorded in the period: each one's evidence and verdict for a per-case report;
    for the statistics of a long period only what each lapse is and how it was judged."""
    start_at, end_at, where = scope.start, scope.end, case_filter(scope)
    if not per_case:
        verdicts = accountability_verdicts(session, start=start_at, end=end_at, where=where)
        return [], verdicts
    evidence = accountability_rows(
        session, start=start_at, end=end_at, where=where, report_keys=report_keys
    )
    return evidence, [(r.obligation, judged(r)) for r in evidence]
