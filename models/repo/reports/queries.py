"""The queries behind the report figures: one set-based query per figure family (cases active in
a period with their first item's source; the deadlines due in it or belonging to those cases,
streamed; grade changes; decided requests; referrals; delivery attempts per channel, counted by
the database), each honouring the same filters (unit, grade, category); `models.repo.reports.gather`
runs them and feeds the pure figures. No per-case queries. Keyword-only functions
over a Session; reads only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Text, and_, case, cast, func, or_, true, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.policy.states import EventKind
from models.reports.labels import Labels
from models.reports.rows import (
    ApprovalRow,
    CaseRow,
    DeliveryTally,
    GradeChange,
    ObligationRow,
    ReferralRow,
    parse_units,
)
from models.store.epoch import epoch_seconds
from models.store.tables import (
    ApprovalRequest,
    Case,
    CaseEvent,
    Delivery,
    Item,
    Notification,
    Obligation,
    Referral,
    RoleAssignment,
    Source,
)

STREAM = 5000  # rows fetched at a time when streaming deadlines


@dataclass(frozen=True)
class Scope:
    """A period as UTC instants [start, end), and the optional filters on cases."""

    start: datetime
    end: datetime
    unit: str | None = None
    grade: str | None = None
    category: str | None = None

    def describe(self, labels: Labels) -> str:
        parts = [f"单位：{labels.unit(self.unit)}"] if self.unit else []
        parts += [f"等级：{labels.grade(self.grade)}"] if self.grade else []
        parts += [f"类别：{labels.category(self.category)}"] if self.category else []
        return "；".join(parts) or "全部案件"


def case_filter(scope: Scope) -> ColumnElement[bool]:
    """The filters as one condition on the case table (units: a JSON list, matched as text)."""
    conditions: list[ColumnElement[bool]] = []
    if scope.grade is not None:
        conditions.append(col(Case.grade) == scope.grade)
    if scope.category is not None:
        conditions.append(col(Case.category) == scope.category)
    if scope.unit is not None:
        escaped = scope.unit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        units = cast(col(Case.units), Text)
        conditions.append(units.like(f'%"{escaped}"%', escape="\\"))
    return and_(true(), *conditions)


def active_in(scope: Scope) -> ColumnElement[bool]:
    """Cases discovered before the end and not closed before the start."""
    return and_(
        col(Case.discovered_at) < scope.end,
        or_(col(Case.closed_at).is_(None), col(Case.closed_at) >= scope.start),
    )


def _rows(session: Session, query: Any) -> Any:
    """Core rows (no ORM loading step per row: a year of deadlines goes through here)."""
    return session.connection().execute(query)


def case_rows(session: Session, scope: Scope) -> list[CaseRow]:
    """Every case active during the period (and passing the filters), by id, each with the
    source, site and link of its first item (none for a case registered by hand)."""
    return [_case_row(r) for r in _rows(session, _case_query(scope))]


def _case_query(scope: Scope) -> Any:
    """The cases of `case_rows`, each joined to its first item and that item's source."""
    first = (
        select(col(Item.case_id).label("case_id"), func.min(Item.id).label("item_id"))
        .where(col(Item.case_id).is_not(None))
        .group_by(col(Item.case_id))
        .subquery()
    )
    return (
        sa_select(
            col(Case.id),
            col(Case.title),
            col(Case.grade),
            col(Case.category),
            type_coerce(Case.stage, String),
            cast(col(Case.units), Text),
            col(Case.lead_unit_id),
            col(Case.outcome),
            col(Case.discovered_at),
            col(Case.closed_at),
            col(Source.name),
            type_coerce(Source.kind, String),
            col(Item.url),
            col(Item.site),
            col(Case.topic_id),
        )
        .outerjoin(first, first.c.case_id == Case.id)
        .outerjoin(Item, col(Item.id) == first.c.item_id)
        .outerjoin(Source, col(Source.id) == Item.source_id)
        .where(active_in(scope), case_filter(scope))
        .order_by(col(Case.id))
    )


def _case_row(r: Any) -> CaseRow:
    """One row of `_case_query`, in its column order."""
    return CaseRow(
        id=r[0],
        title=r[1],
        grade=r[2],
        category=r[3],
        stage=r[4],
        units=parse_units(r[5]),
        lead_unit=r[6],
        outcome=r[7],
        discovered_at=r[8],
        closed_at=r[9],
        source=r[10],
        source_kind=r[11],
        url=r[12],
        site=r[13] or None,
        topic=r[14],
    )


def case_facts(session: Session, scope: Scope) -> dict[int, tuple[str, str | None, str | None]]:
    """Every case the filters keep → (grade, lead unit, responsible units as stored): one scan of
    the case table, so the deadlines need no join (a join per deadline row is what made a year's
    deadlines slow to read)."""
    query = sa_select(
        col(Case.id), col(Case.grade), col(Case.lead_unit_id), cast(col(Case.units), Text)
    ).where(case_filter(scope))
    return {r[0]: (r[1], r[2], r[3]) for r in _rows(session, query)}


def obligation_rows(
    session: Session, scope: Scope, *, per_case: bool = True
) -> Iterator[ObligationRow]:
    """The deadlines due in the period (and, `per_case`, every deadline of the cases active in
    it), of the cases the filters keep, streamed; the caller tells them apart by due time and
    case. Times as seconds since the epoch."""
    facts = case_facts(session, scope)
    due = and_(col(Obligation.due_at) >= scope.start, col(Obligation.due_at) < scope.end)
    active = select(Case.id).where(active_in(scope))
    query = (
        sa_select(
            col(Obligation.case_id),
            col(Obligation.key),
            col(Obligation.title),
            col(Obligation.owner_role),
            type_coerce(Obligation.status, String),
            epoch_seconds(col(Obligation.anchor_at)),
            epoch_seconds(col(Obligation.due_at)),
            epoch_seconds(col(Obligation.acked_at)),
            epoch_seconds(col(Obligation.completed_at)),
            col(Obligation.level),
        )
        .where(or_(due, col(Obligation.case_id).in_(active)) if per_case else due)
        .execution_options(yield_per=STREAM)
    )
    for r in _rows(session, query):
        fact = facts.get(r[0])
        if fact is None:  # a case the filters leave out
            continue
        if r[5] is None or r[6] is None:  # a stored time the database could not read
            raise ValueError(f"案件 {r[0]} 的时限 {r[1]}：起算或截止时间无法读取")
        grade, lead, units = fact
        # Positional, in ObligationRow's field order: a year of deadlines is built here.
        yield ObligationRow(
            r[0], r[1], r[2], grade, r[3], r[4], r[5], r[6], r[7], r[8], lead, units, r[9]
        )


def grade_changes(session: Session, scope: Scope) -> list[GradeChange]:
    query = (
        select(CaseEvent.case_id, CaseEvent.at, CaseEvent.data, CaseEvent.actor)
        .join(Case, col(Case.id) == CaseEvent.case_id)
        .where(
            col(CaseEvent.kind) == EventKind.GRADE_CHANGED,
            col(CaseEvent.at) >= scope.start,
            col(CaseEvent.at) < scope.end,
            case_filter(scope),
        )
        .order_by(col(CaseEvent.at), col(CaseEvent.id))
    )
    return [
        GradeChange(
            case_id,
            at,
            str(data.get("from")),
            str(data.get("to")),
            actor,
            str(data.get("reason") or ""),
        )
        for case_id, at, data, actor in session.execute(query)
    ]


def approvals(session: Session, scope: Scope) -> list[ApprovalRow]:
    """Requests decided in the period, and those asked in it and still waiting."""
    decided = and_(
        col(ApprovalRequest.decided_at) >= scope.start, col(ApprovalRequest.decided_at) < scope.end
    )
    waiting = and_(
        col(ApprovalRequest.decided_at).is_(None),
        col(ApprovalRequest.requested_at) >= scope.start,
        col(ApprovalRequest.requested_at) < scope.end,
    )
    query = (
        sa_select(
            col(ApprovalRequest.case_id),
            type_coerce(ApprovalRequest.kind, String),
            type_coerce(ApprovalRequest.status, String),
            col(ApprovalRequest.requested_at),
            col(ApprovalRequest.decided_at),
        )
        .join(Case, col(Case.id) == ApprovalRequest.case_id)
        .where(or_(decided, waiting), case_filter(scope))
        .order_by(col(ApprovalRequest.id))
    )
    return [ApprovalRow(*r) for r in session.execute(query)]


def referrals(session: Session, scope: Scope) -> list[ReferralRow]:
    query = (
        select(Referral.case_id, Referral.body, Referral.at)
        .join(Case, col(Case.id) == Referral.case_id)
        .where(col(Referral.at) >= scope.start, col(Referral.at) < scope.end, case_filter(scope))
        .order_by(col(Referral.at), col(Referral.id))
    )
    return [ReferralRow(*r) for r in session.execute(query)]


def delivery_tallies(session: Session, scope: Scope) -> list[DeliveryTally]:
    """Delivery attempts in the period per channel, counted by the database; with a case filter,
    those about the matching cases only."""
    delivered = func.sum(case((col(Delivery.ok), 1), else_=0))
    query = sa_select(col(Delivery.channel), func.count(), delivered).where(
        col(Delivery.at) >= scope.start, col(Delivery.at) < scope.end
    )
    if scope.unit or scope.grade or scope.category:
        query = (
            query.join(Notification, col(Notification.id) == Delivery.notification_id)
            .join(Case, col(Case.id) == Notification.case_id)
            .where(case_filter(scope))
        )
    query = query.group_by(col(Delivery.channel)).order_by(col(Delivery.channel))
    rows = session.execute(query)
    return [DeliveryTally(channel, int(n), int(ok or 0)) for channel, n, ok in rows]


def role_units(session: Session) -> dict[str, str]:
    """Each role → the unit of its first holder (who answers for the office's own deadlines)."""
    query = (
        select(RoleAssignment.role, RoleAssignment.unit_id)
        .where(col(RoleAssignment.unit_id).is_not(None))
        .order_by(col(RoleAssignment.role), col(RoleAssignment.person_id))
    )
    found: dict[str, str] = {}
    for role, unit in session.execute(query):
        found.setdefault(role, unit)
    return found
