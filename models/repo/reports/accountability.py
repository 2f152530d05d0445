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
    record, judged, reports = AccountabilityRecord, AccountabilityJudgement, aliased(Obligation)
    # Correlated look-ups by index, one per record: cheaper than grouping whole tables.
    first_reported = (
        select(func.min(reports.completed_at))
        .where(reports.case_id == record.case_id, col(reports.key).in_(list(report_keys) or [""]))
        .correlate(record)
        .scalar_subquery()
    )
    first_item = (
        select(func.min(Item.id))
        .where(Item.case_id == record.case_id)
        .correlate(record)
        .scalar_subquery()
    )
    latest = (
        select(func.max(judged.id))
        .where(judged.record_id == record.id)
        .correlate(record)
        .scalar_subquery()
    )
    query = (
        sa_select(
            col(record.id),
            col(record.case_id),
            col(Case.title),
            col(Case.grade),
            col(record.obligation_title),
            col(record.owner_role),
            col(record.responsible),
            col(Case.discovered_at),
            first_reported,
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
        .outerjoin(Item, col(Item.id) == first_item)
        .outerjoin(Source, col(Source.id) == Item.source_id)
        .outerjoin(judged, col(judged.id) == latest)
        .where(where if where is not None else true())
        .order_by(col(record.id))
    )
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
    latest = (
        select(func.max(judged_.id))
        .where(judged_.record_id == record.id)
        .correlate(record)
        .scalar_subquery()
    )
    query = (
        sa_select(col(record.obligation_title), col(judged_.justified))
        .join(Case, col(Case.id) == record.case_id)
        .outerjoin(judged_, col(judged_.id) == latest)
        .where(col(record.recorded_at) >= start, col(record.recorded_at) < end)
        .where(where if where is not None else true())
    )
    return [(title, justified) for title, justified in session.execute(query)]


def judged(row: AccountabilityRow) -> bool | None:
    return None if row.judgement is None else row.judgement.justified


def _row(r: Any) -> AccountabilityRow:
    (
        rid,
        case_id,
        title,
        grade,
        obligation,
        role,
        responsible,
        known,
        reported,
        due,
        done,
        recorded,
        late,
        source_kind,
        justified,
        reason,
        by,
        at,
        consequence,
    ) = r
    judgement = None
    if justified is not None:
        judgement = Judgement(bool(justified), str(reason), str(by), at, str(consequence or ""))
    return AccountabilityRow(
        id=rid,
        case_id=case_id,
        case_title=title,
        grade=grade,
        obligation=obligation,
        owner_role=role,
        responsible=tuple(responsible or ()),
        first_known=known,
        first_reported=reported,
        due_at=due,
        done_at=done,
        recorded_at=recorded,
        late_seconds=late,
        source_kind=source_kind,
        judgement=judgement,
    )


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
    reason = reason.strip()
    if not reason:
        raise CaseError("研判理由（reason）不能为空：请写明认定的依据")
    if len(reason) > REASON_MAX:
        raise CaseError(f"研判理由（reason）过长：最多 {REASON_MAX} 字")
    if justified and consequence is not Consequence.NONE:
        raise CaseError("认定理由成立时不应提出处理建议（consequence）")
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
    verdict = "理由成立，不予追责" if justified else "理由不成立，需追责"
    proposal = f"，建议{CONSEQUENCE_LABELS[consequence.value]}" if consequence.value else ""
    add_event(
        session,
        case_id=record.case_id,
        kind=EventKind.ACCOUNTABILITY,
        at=at,
        actor=by,
        message=f"{who(session, by)} 研判逾期记录 {record_id}（{record.obligation_title}）："
        f"{verdict}{proposal}；理由：{reason}",
        data={"record": record_id, "judgement": judgement.id, "justified": justified},
    )
    return judgement
