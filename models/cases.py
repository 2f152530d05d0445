"""Repository functions for cases: open a case with its obligations, append to its timeline,
acknowledge an obligation, and read cases back for the CLI and the console. Keyword-only
functions over a Session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import Anchor, Policy, Stage, WorkCalendar, due_at
from models.policy.calendar import UnknownCalendarYear
from models.policy.clocks import due_at_provisional
from models.states import EventKind, ObligationStatus
from models.tables import Case, CaseEvent, Item, Obligation

# Anchors whose time is known the moment a case is opened from an item.
OPENING_ANCHORS = (Anchor.discovery, Anchor.occurrence, Anchor.post_time)


class CaseError(Exception):
    """A request about a case that cannot be carried out; the message is for office staff."""


def add_event(
    session: Session,
    *,
    case_id: int,
    kind: EventKind,
    message: str,
    at: datetime,
    actor: str = "system",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case_id, at=at, kind=kind, actor=actor, message=message, data=data or {}
    )
    session.add(event)
    return event


def open_case(
    session: Session,
    *,
    title: str,
    grade: str,
    policy: Policy,
    calendar: WorkCalendar,
    discovered_at: datetime,
    occurred_at: datetime | None = None,
    topic_id: str | None = None,
    category: str | None = None,
    reason: str = "",
) -> Case:
    """Open a case at `discovered_at` and every obligation of its grade whose anchor is known."""
    level = policy.scheme.level(grade)
    case = Case(
        title=title,
        stage=Stage.detected,
        grade=level.id,
        policy_id=policy.id,
        topic_id=topic_id,
        category=category,
        discovered_at=discovered_at,
        occurred_at=occurred_at,
        created_at=discovered_at,
        updated_at=discovered_at,
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.OPENED,
        at=discovered_at,
        message=f"立案：{title}（{level.label}）{reason}",
        data={"grade": level.id, "policy": policy.id},
    )
    anchors = {
        Anchor.discovery: discovered_at,
        Anchor.occurrence: occurred_at or discovered_at,
        Anchor.post_time: occurred_at or discovered_at,
    }
    tz = ZoneInfo(policy.timezone)
    for rule in policy.obligations_for(level.id):
        if rule.anchor in anchors:
            open_obligation(
                session,
                case=case,
                rule_key=rule.key,
                policy=policy,
                anchor_at=anchors[rule.anchor],
                calendar=calendar,
                tz=tz,
            )
    return case


def open_obligation(
    session: Session,
    *,
    case: Case,
    rule_key: str,
    policy: Policy,
    anchor_at: datetime,
    calendar: WorkCalendar,
    tz: ZoneInfo,
) -> Obligation:
    """Create the obligation and its deadline; a year the calendar lacks gives a provisional one."""
    assert case.id is not None
    rule = policy.rule(case.grade, rule_key)
    try:
        due = due_at(rule, anchor_at, calendar=calendar, tz=tz, closing_time=policy.closing_time)
    except UnknownCalendarYear:
        due = due_at_provisional(
            rule, anchor_at, calendar=calendar, tz=tz, closing_time=policy.closing_time
        )
    obligation = Obligation(
        case_id=case.id,
        key=rule.key,
        title=rule.title,
        owner_role=rule.owner_role,
        anchor=rule.anchor.value,
        anchor_at=anchor_at,
        clock=rule.clock.value,
        due_at=due.at,
        provisional=due.provisional,
        next_check_at=due.at,
    )
    session.add(obligation)
    local_due = due.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    note = "（暂定：该年度节假日安排未知）" if due.provisional else ""
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.OBLIGATION_OPENED,
        at=anchor_at,
        message=f"开始计时：{rule.title}，{rule.describe()}，截止 {local_due}{note}",
        data={
            "obligation": rule.key,
            "due_at": due.at.isoformat(),
            "provisional": due.provisional,
            "source": rule.source,
        },
    )
    return obligation


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError(f"案件 {case_id} 不存在 (unknown case {case_id})")
    return case


def acknowledge(
    session: Session, *, case_id: int, actor: str, at: datetime, obligation_key: str | None = None
) -> Obligation:
    """Acknowledge an open obligation (by default the one due first): no more reminders for it."""
    case = get_case(session, case_id)
    query = select(Obligation).where(
        Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
    )
    if obligation_key is not None:
        query = query.where(Obligation.key == obligation_key)
    obligation = session.exec(query.order_by(col(Obligation.due_at))).first()
    if obligation is None:
        what = f"事项 {obligation_key!r}" if obligation_key else "待办事项"
        raise CaseError(f"案件 {case_id} 没有可签收的{what} (nothing open to acknowledge)")
    obligation.status = ObligationStatus.ACKNOWLEDGED
    obligation.acked_at = at
    obligation.acked_by = actor
    obligation.next_check_at = None
    case.updated_at = at
    session.add_all([obligation, case])
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.ACKNOWLEDGED,
        at=at,
        actor=actor,
        message=f"{actor} 签收：{obligation.title}，此后不再催办",
        data={"obligation": obligation.key},
    )
    return obligation


def list_cases(session: Session, *, include_closed: bool = False) -> Sequence[Case]:
    query = select(Case)
    if not include_closed:
        query = query.where(col(Case.closed_at).is_(None))
    return session.exec(query.order_by(col(Case.id))).all()


def case_obligations(session: Session, case_id: int) -> Sequence[Obligation]:
    query = select(Obligation).where(Obligation.case_id == case_id)
    return session.exec(query.order_by(col(Obligation.due_at), col(Obligation.id))).all()


def case_timeline(session: Session, case_id: int) -> Sequence[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case_id)
    return session.exec(query.order_by(col(CaseEvent.at), col(CaseEvent.id))).all()


def case_items(session: Session, case_id: int) -> Sequence[Item]:
    return session.exec(select(Item).where(Item.case_id == case_id).order_by(col(Item.id))).all()
