"""Repository functions for cases: open a case with its obligations, append to its timeline,
find an obligation, and read cases back for the CLI and the console. Keyword-only
functions over a Session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import (
    Anchor,
    ObligationRule,
    Policy,
    Stage,
    UnknownCalendarYear,
    WorkCalendar,
    due_at,
    due_at_provisional,
    initial_obligations,
    reminder_at,
)
from models.policy.forms import MAX_ID
from models.policy.states import EventKind, ObligationStatus
from models.policy.wording import deadline_text
from models.store.tables import Case, CaseEvent, Item, Obligation, Person

ORIGIN = "origin"  # the session.info key of the action's origin (see `add_event`)


class CaseError(Exception):
    """A request about a case that cannot be carried out; the message is for office staff."""


class CaseNotFound(CaseError):
    """The case named does not exist (or its number could not name one)."""


def add_event(
    session: Session,
    *,
    case_id: int | None,
    kind: EventKind,
    message: str,
    at: datetime,
    actor: str = "system",
    data: dict[str, Any] | None = None,
) -> CaseEvent | None:
    """Append to the case's timeline; events of notifications about no case (a monitoring gap)
    have no timeline: their Delivery rows are the record. A person's entry carries where the
    action came from (`session.info["origin"]`: the console, a link, the command line and its
    OS user), set by the transaction that records the action."""
    if case_id is None:
        return None
    origin = session.info.get(ORIGIN, {}) if actor != "system" else {}
    event = CaseEvent(
        case_id=case_id,
        at=at,
        kind=kind,
        actor=actor,
        message=message,
        data={**origin, **(data or {})},
    )
    session.add(event)
    return event


CLI_ACTOR = "cli"  # the command line acting without a person named (`--by`)


def who(session: Session, actor: str | None) -> str:
    """An actor as people read it: a person's name, 系统 or 命令行."""
    if actor is None or actor == "system":
        return "系统"
    if actor == CLI_ACTOR:
        return "命令行"
    person = session.get(Person, actor)
    return person.name if person is not None else actor


def open_case(
    session: Session,
    *,
    title: str,
    grade: str,
    policy: Policy,
    calendar: WorkCalendar,
    discovered_at: datetime,
    occurred_at: datetime | None = None,
    posted_at: datetime | None = None,
    topic_id: str | None = None,
    category: str | None = None,
    reason: str = "",
) -> Case:
    """Open a case at `discovered_at` with every obligation that registration starts."""
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
        posted_at=posted_at,
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
    anchors = registration_anchors(case)
    tz = ZoneInfo(policy.timezone)
    for key in initial_obligations(policy, level.id):
        rule = policy.rule(level.id, key)
        open_obligation(
            session,
            case=case,
            rule_key=key,
            policy=policy,
            anchor_at=anchors[rule.anchor],
            calendar=calendar,
            tz=tz,
        )
    return case


def registration_anchors(case: Case) -> dict[Anchor, datetime]:
    """The anchor times a case has from the moment it is registered: the event (舆情发生) is
    its own time, else the post's; the post (网民发帖) its own, else the event's; either unknown
    is the discovery. Neither is ever later than the discovery (a sender's clock running fast
    must not push a deadline back)."""
    found = case.discovered_at
    occurred = min(case.occurred_at or case.posted_at or found, found)
    posted = min(case.posted_at or case.occurred_at or found, found)
    return {Anchor.discovery: found, Anchor.occurrence: occurred, Anchor.post_time: posted}


def open_obligation(
    session: Session,
    *,
    case: Case,
    rule_key: str,
    policy: Policy,
    anchor_at: datetime,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    note_opening: bool = True,
) -> Obligation:
    """Create the obligation of the grade's rule `rule_key` and its deadline (see `open_rule`).
    `note_opening=False` when the timeline already has its opening (a lost row re-created)."""
    rule = policy.rule(case.grade, rule_key)
    return open_rule(
        session,
        case=case,
        rule=rule,
        policy=policy,
        anchor_at=anchor_at,
        calendar=calendar,
        tz=tz,
        note_opening=note_opening,
    )


def open_rule(
    session: Session,
    *,
    case: Case,
    rule: ObligationRule,
    policy: Policy,
    anchor_at: datetime,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    key: str | None = None,
    title: str | None = None,
    assignee: str | None = None,
    note_opening: bool = True,
) -> Obligation:
    """Create an obligation of `rule` (under `key` and `title` for a further instance, held by
    `assignee` when given) with its deadline; a year the calendar lacks gives a provisional
    one."""
    assert case.id is not None
    try:
        due = due_at(rule, anchor_at, calendar=calendar, tz=tz, closing_time=policy.closing_time)
    except UnknownCalendarYear:
        due = due_at_provisional(
            rule, anchor_at, calendar=calendar, tz=tz, closing_time=policy.closing_time
        )
    obligation = Obligation(
        case_id=case.id,
        key=key or rule.key,
        title=title or rule.title,
        owner_role=rule.owner_role,
        anchor=rule.anchor.value,
        anchor_at=anchor_at,
        clock=rule.clock.value,
        due_at=due.at,
        provisional=due.provisional,
        # The first check is the owner's reminder (75% of the window), then the due time.
        next_check_at=reminder_at(anchor_at, due.at, policy.escalation_for(case.grade)),
        assignee_id=assignee,
    )
    session.add(obligation)
    if not note_opening:
        return obligation
    local_due = deadline_text(due.at, tz)
    note = "（暂定：该年度节假日安排未知）" if due.provisional else ""
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.OBLIGATION_OPENED,
        at=anchor_at,
        message=f"开始计时：{obligation.title}，{rule.describe()}，截止 {local_due}{note}",
        data={
            "obligation": obligation.key,
            "due_at": due.at.isoformat(),
            "provisional": due.provisional,
            "source": rule.source,
        },
    )
    return obligation


def get_case(session: Session, case_id: int) -> Case:
    # An id past the integer column's range names no case (and would overflow the driver).
    case = session.get(Case, case_id) if 1 <= case_id <= MAX_ID else None
    if case is None:
        raise CaseNotFound(f"案件 {case_id} 不存在")
    return case


def find_obligation(session: Session, *, case_id: int, key: str) -> Obligation:
    """The case's obligation `key`; CaseError naming the case and key when it has none."""
    query = select(Obligation).where(Obligation.case_id == case_id, Obligation.key == key)
    obligation = session.exec(query).first()
    if obligation is None:
        raise CaseError(f"案件 {case_id} 没有事项 {key!r}")
    return obligation


def require_open(obligation: Obligation) -> None:
    """Refuse to act on an obligation that is already completed or cancelled."""
    if obligation.status == ObligationStatus.COMPLETED:
        raise CaseError(f"事项“{obligation.title}”已完成")
    if obligation.status == ObligationStatus.CANCELLED:
        raise CaseError(f"事项“{obligation.title}”已取消")
    if obligation.status == ObligationStatus.WAIVED:
        raise CaseError(f"事项“{obligation.title}”已确认不需要")


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
