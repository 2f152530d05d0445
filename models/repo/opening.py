"""Opening a case and its obligations: a case at its discovery with every obligation that
registration starts, each from its own anchor (the event, the post, the discovery); an obligation
of a grade's rule with its deadline — provisional when the calendar lacks the year — and its
clock's start on the timeline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.policy import (
    Anchor,
    DueTime,
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
from models.policy.states import EventKind
from models.policy.wording import deadline_text
from models.repo.cases import add_event
from models.store.tables import Case, Obligation


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
    _note_opened(session, case, f"立案：{title}（{level.label}）{reason}")
    _open_initial(session, case, policy=policy, calendar=calendar)
    return case


def _note_opened(session: Session, case: Case, message: str) -> None:
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.OPENED,
        at=case.discovered_at,
        message=message,
        data={"grade": case.grade, "policy": case.policy_id},
    )


def _open_initial(session: Session, case: Case, *, policy: Policy, calendar: WorkCalendar) -> None:
    """Every obligation registration starts, each from its own anchor."""
    anchors = registration_anchors(case)
    tz = ZoneInfo(policy.timezone)
    for key in initial_obligations(policy, case.grade):
        rule = policy.rule(case.grade, key)
        open_obligation(
            session,
            case=case,
            rule_key=key,
            policy=policy,
            anchor_at=anchors[rule.anchor],
            calendar=calendar,
            tz=tz,
        )


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
    due = _due(rule, anchor_at, policy=policy, calendar=calendar, tz=tz)
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
    if note_opening:
        _note_opening(session, obligation, rule, tz)
    return obligation


def _note_opening(
    session: Session, obligation: Obligation, rule: ObligationRule, tz: ZoneInfo
) -> None:
    """The clock's start on the timeline: the rule, the deadline (暂定 when the calendar lacks the
    year) and where the rule comes from."""
    note = "（暂定：该年度节假日安排未知）" if obligation.provisional else ""
    add_event(
        session,
        case_id=obligation.case_id,
        kind=EventKind.OBLIGATION_OPENED,
        at=obligation.anchor_at,
        message=f"开始计时：{obligation.title}，{rule.describe()}，"
        f"截止 {deadline_text(obligation.due_at, tz)}{note}",
        data={
            "obligation": obligation.key,
            "due_at": obligation.due_at.isoformat(),
            "provisional": obligation.provisional,
            "source": rule.source,
        },
    )


def _due(
    rule: ObligationRule,
    anchor_at: datetime,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    tz: ZoneInfo,
) -> DueTime:
    """The rule's deadline from `anchor_at`; a year the calendar lacks gives a provisional one."""
    try:
        return due_at(rule, anchor_at, calendar=calendar, tz=tz, closing_time=policy.closing_time)
    except UnknownCalendarYear:
        return due_at_provisional(
            rule, anchor_at, calendar=calendar, tz=tz, closing_time=policy.closing_time
        )
