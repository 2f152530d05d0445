"""The accountability ledger for people: read it (a period or all of it, filtered) as a report
document, and record a person's judgement of one lapse in its own transaction. Plain functions,
used by the CLI and the console."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col

from models.policy.stages import StageEvent
from models.repo.access import EVERYTHING, Scope, visible
from models.repo.reports.accountability import accountability_rows, judge
from models.reports.accountability import LedgerFilter, accountability_table, select
from models.reports.document import Document, Table
from models.reports.periods import Period
from models.reports.rows import AccountabilityRow
from models.reports.status import Consequence
from models.store.db import session_scope
from models.store.tables import AccountabilityJudgement, AccountabilityRecord
from tasks.reports.context import closing_keys, labels_for, office_for
from tasks.runtime import Runtime

ALL = LedgerFilter()


def ledger_rows(
    runtime: Runtime,
    *,
    period: Period | None = None,
    where: LedgerFilter = ALL,
    scope: Scope = EVERYTHING,
) -> list[AccountabilityRow]:
    """The records of `period` (all of them when None) about the cases `scope` sees that pass
    the filter, oldest first."""
    bounds = period.bounds(runtime.settings.tz) if period else (None, None)
    with Session(runtime.engine) as session:
        rows = accountability_rows(
            session,
            start=bounds[0],
            end=bounds[1],
            where=visible(scope, col(AccountabilityRecord.case_id)),
            report_keys=closing_keys(runtime.policy, StageEvent.report),
        )
    return select(rows, where)


def ledger_document(
    runtime: Runtime,
    *,
    now: datetime,
    period: Period | None = None,
    where: LedgerFilter = ALL,
    scope: Scope = EVERYTHING,
) -> Document:
    rows = ledger_rows(runtime, period=period, where=where, scope=scope)
    labels = labels_for(runtime)
    span = f"{period.label}（{period.describe()}）" if period else "全部"
    about = Table(
        "about",
        "说明",
        ("项目", "内容"),
        [
            ("范围", span),
            ("研判", where.verdict.value if where.verdict else "全部"),
            ("口径", "逾期证据由系统记录；是否追责由人研判，系统不作结论。"),
        ],
        widths=(10, 80),
    )
    title = f"{office_for(runtime.settings).name}问责台账（{span}）"
    summary = {"records": len(rows), "unjudged": sum(1 for r in rows if r.judgement is None)}
    table = accountability_table(rows, labels, as_of=now)
    return Document(title, span, (table, about), "accountability", summary)


def judge_record(
    runtime: Runtime,
    *,
    record_id: int,
    justified: bool,
    reason: str,
    by: str,
    at: datetime,
    consequence: Consequence = Consequence.NONE,
) -> AccountabilityJudgement:
    """Record the judgement (CaseError for office staff when it cannot be)."""
    with session_scope(runtime.engine) as session:
        return judge(
            session,
            record_id=record_id,
            justified=justified,
            reason=reason,
            by=by,
            at=at,
            consequence=consequence,
        )
