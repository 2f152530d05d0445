"""The accountability ledger in the database: the record of a lapse as the sweep writes it
(`lapse_record`: evidence for people to judge, never a verdict), a case's records, the evidence
of every lapse recorded in a period (one query: the record, its case, when the case was first
known and first reported, when the deadline was done, where the case first came from, and the
latest judgement; then the case's corrections with their reasons), and `judge`, which appends a
person's judgement (justified or not, why, what they propose) and notes it on the case's
timeline. The machine only ever flags. Keyword-only functions over a Session."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, func, true, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models.policy.states import EventKind
from models.repo.cases import CaseError, add_event, who
from models.repo.corrected import corrections_of
from models.reports.labels import CONSEQUENCE_LABELS
from models.reports.rows import AccountabilityRow, Judgement
from models.reports.status import Consequence
from models.store.tables import (
    AccountabilityJudgement,
    AccountabilityRecord,
    Case,
    Item,
    Obligation,
    Source,
)

REASON_MAX = 2000


def lapse_record(
    case_id: int,
    obligation: Obligation,
    level: int,
    late_by: timedelta,
    responsible: list[str],
    now: datetime,
) -> tuple[dict[str, Any], str]:
    """The accountability record of a lapse (a row to insert) and its timeline line: flagged
    for review by people, never a verdict."""
    assert obligation.id is not None
    row = {
        "case_id": case_id,
        "obligation_id": obligation.id,
        "obligation_title": obligation.title,
        "owner_role": obligation.owner_role,
        "responsible": responsible,
        "level": level,
        "due_at": obligation.due_at,
        "recorded_at": now,
        "late_seconds": int(late_by.total_seconds()),
    }
    who = "、".join(responsible) or "未配置"
    return row, f"逾期记录（待人工研判）：{obligation.title}，责任人 {who}"


def case_accountability(
    session: Session, case_id: int
) -> list[tuple[AccountabilityRecord, datetime | None]]:
    """A case's accountability records, each with when the obligation was done (if it was)."""
    query = (
        select(AccountabilityRecord, Obligation.completed_at)
        .join(Obligation, col(Obligation.id) == AccountabilityRecord.obligation_id)
        .where(AccountabilityRecord.case_id == case_id)
        .order_by(col(AccountabilityRecord.id))
    )
    return [(record, done) for record, done in session.exec(query).all()]


def accountability_rows(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    where: ColumnElement[bool] | None = None,
    report_keys: Collection[str] = (),
    ids: Collection[int] | None = None,
) -> list[AccountabilityRow]:
    """Records made in [start, end) (or with `ids`), oldest first, with their evidence and the
    latest judgement. `report_keys` are the obligations whose completion is the case's report
    (快报): the first of them done is "first reported"."""
    record = AccountabilityRecord
    query = _evidence_query(report_keys).where(where if where is not None else true())
    if start is not None:
        query = query.where(col(record.recorded_at) >= start)
    if end is not None:
        query = query.where(col(record.recorded_at) < end)
    if ids is not None:
        query = query.where(col(record.id).in_(list(ids)))
    rows = [_row(r) for r in session.execute(query)]
    fixed = corrections_of(session, sorted({r.case_id for r in rows}))
    return [
        replace(r, corrections=tuple(fixed[r.case_id])) if r.case_id in fixed else r for r in rows
    ]


def _evidence_query(report_keys: Collection[str]) -> Any:
    """Each record with its case, when the case was first known and first reported, when the
    deadline was done, where the case first came from, and its latest judgement; by id."""
    record, judged = AccountabilityRecord, AccountabilityJudgement
    return (
        sa_select(
            col(record.id),
            col(record.case_id),
            col(Case.title),
            col(Case.grade),
            col(record.obligation_title),
            col(record.owner_role),
            col(record.responsible),
            col(Case.discovered_at),
            _first_reported(report_keys),
            col(record.due_at),
            col(Obligation.completed_at),
            col(record.recorded_at),
            col(record.late_seconds),
            type_coerce(Source.kind, String),
            col(judged.justified),
            col(judged.reason),
            col(judged.judged_by),
            col(judged.judged_at),
            col(judged.consequence),
        )
        .join(Case, col(Case.id) == record.case_id)
        .join(Obligation, col(Obligation.id) == record.obligation_id)
        .outerjoin(Item, col(Item.id) == _first_item())
        .outerjoin(Source, col(Source.id) == Item.source_id)
        .outerjoin(judged, col(judged.id) == _latest_judgement())
        .order_by(col(record.id))
    )


# Correlated look-ups by index, one per record: cheaper than grouping whole tables.
def _first_reported(report_keys: Collection[str]) -> Any:
    """When the record's case was first reported: the first of its `report_keys` done."""
    reports, record = aliased(Obligation), AccountabilityRecord
    return (
        select(func.min(reports.completed_at))
        .where(reports.case_id == record.case_id, col(reports.key).in_(list(report_keys) or [""]))
        .correlate(record)
        .scalar_subquery()
    )


def _first_item() -> Any:
    """The id of the record's case's first item (where the case first came from)."""
    record = AccountabilityRecord
    return (
        select(func.min(Item.id))
        .where(Item.case_id == record.case_id)
        .correlate(record)
        .scalar_subquery()
    )


def _latest_judgement() -> Any:
    """The id of a record's latest judgement, as a correlated look-up."""
    judged, record = AccountabilityJudgement, AccountabilityRecord
    return (
        select(func.max(judged.id))
        .where(judged.record_id == record.id)
        .correlate(record)
        .scalar_subquery()
    )


def accountability_verdicts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    where: ColumnElement[bool] | None = None,
) -> list[tuple[str, bool | None]]:
    """(obligation title, latest judgement: justified, not, or None) of the records made in
    [start, end): what the statistics of a long period need, without each lapse's evidence."""
    record, judged_ = AccountabilityRecord, AccountabilityJudgement
    query = (
        sa_select(col(record.obligation_title), col(judged_.justified))
        .join(Case, col(Case.id) == record.case_id)
        .outerjoin(judged_, col(judged_.id) == _latest_judgement())
        .where(col(record.recorded_at) >= start, col(record.recorded_at) < end)
        .where(where if where is not None else true())
    )
    return [(title, justified) for title, justified in session.execute(query)]


def judged(row: AccountabilityRow) -> bool | None:
    return None if row.judgement is None else row.judgement.justified


def _row(r: Any) -> AccountabilityRow:
    """One row of `_evidence_query`, in its column order."""
    return AccountabilityRow(
        id=r[0],
        case_id=r[1],
        case_title=r[2],
        grade=r[3],
        obligation=r[4],
        owner_role=r[5],
        responsible=tuple(r[6] or ()),
        first_known=r[7],
        first_reported=r[8],
        due_at=r[9],
        done_at=r[10],
        recorded_at=r[11],
        late_seconds=r[12],
        source_kind=r[13],
        judgement=_judgement(*r[14:]),
    )


def _judgement(
    justified: bool | None, reason: Any, by: Any, at: datetime, consequence: Any
) -> Judgement | None:
    """The latest judgement of a record (None when nobody has judged it yet)."""
    if justified is None:
        return None
    return Judgement(bool(justified), str(reason), str(by), at, str(consequence or ""))


def judge(
    session: Session,
    *,
    record_id: int,
    justified: bool,
    reason: str,
    by: str,
    at: datetime,
    consequence: Consequence = Consequence.NONE,
) -> AccountabilityJudgement:
    """Record a person's judgement of a lapse; CaseError (for office staff) when the record is
    unknown, the reason is missing, or a consequence is proposed for a justified lapse."""
    record = session.get(AccountabilityRecord, record_id)
    if record is None:
        raise CaseError(f"问责记录 {record_id} 不存在")
    reason = _checked_reason(reason, justified=justified, consequence=consequence)
    judgement = AccountabilityJudgement(
        record_id=record_id,
        justified=justified,
        reason=reason,
        consequence=consequence.value,
        judged_by=by,
        judged_at=at,
    )
    session.add(judgement)
    session.flush()
    _note_on_timeline(session, record, judgement)
    return judgement


def _checked_reason(reason: str, *, justified: bool, consequence: Consequence) -> str:
    """The reason as recorded (trimmed); CaseError when it is missing or too long, or when a
    consequence is proposed for a lapse judged justified."""
    reason = reason.strip()
    if not reason:
        raise CaseError("研判理由（reason）不能为空：请写明认定的依据")
    if len(reason) > REASON_MAX:
        raise CaseError(f"研判理由（reason）过长：最多 {REASON_MAX} 字")
    if justified and consequence is not Consequence.NONE:
        raise CaseError("认定理由成立时不应提出处理建议（consequence）")
    return reason


def _note_on_timeline(
    session: Session, record: AccountabilityRecord, judgement: AccountabilityJudgement
) -> None:
    """The judgement as a line on the case's timeline: who judged which record, how, and why."""
    justified, by = judgement.justified, judgement.judged_by
    verdict = "理由成立，不予追责" if justified else "理由不成立，需追责"
    label = CONSEQUENCE_LABELS[judgement.consequence] if judgement.consequence else ""
    proposal = f"，建议{label}" if label else ""
    add_event(
        session,
        case_id=record.case_id,
        kind=EventKind.ACCOUNTABILITY,
        at=judgement.judged_at,
        actor=by,
        message=f"{who(session, by)} 研判逾期记录 {record.id}（{record.obligation_title}）："
        f"{verdict}{proposal}；理由：{judgement.reason}",
        data={"record": record.id, "judgement": judgement.id, "justified": justified},
    )
