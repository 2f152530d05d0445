"""The no-completion chain in the database: what the sweep does to each obligation whose next
check has come. It claims a batch (locked rows that another sweeper holds are skipped on
PostgreSQL), fires the reminders and the chain levels that came due (a late sweep catches up on
every one) or holds 三级 reminders through quiet hours, moves the levels with compare-and-set
(`models.repo.levels`), records each lapse on the case timeline with its accountability record
(`models.repo.reports.accountability`), and returns the notices the batch causes; it never queues or
sends. Set-based: the levels move in one statement, the timeline entries and the accountability
records are inserted in one each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.catalogue import ALERT_LINKS
from models.policy.escalation import (
    LapseStep,
    ObligationPlan,
    QuietHours,
    plan_obligation,
    quiet_until,
    reminder_at,
)
from models.policy.notices import Notice, NoticeKind
from models.policy.policy import EscalationRule
from models.policy.routing import Routing
from models.policy.states import Chain, EventKind, ObligationStatus
from models.policy.wording import late_text
from models.repo.directory import Directory, load_directory
from models.repo.levels import Move, advance_levels, chain_people, level_roles
from models.repo.reports.accountability import lapse_record
from models.store.tables import AccountabilityRecord, Case, CaseEvent, Obligation


@dataclass
class Sweep:
    """What one sweep batch did, and what must be told (in the batch's own transaction)."""

    claimed: int = 0
    levels_fired: int = 0
    reminders: int = 0
    held: int = 0
    notices: list[Notice] = field(default_factory=list)


def claim_due(session: Session, *, now: datetime, limit: int) -> Sequence[Obligation]:
    """Open obligations whose next check time has come, oldest first, locked for this sweep."""
    query = (
        select(Obligation)
        .where(Obligation.status == ObligationStatus.OPEN, col(Obligation.next_check_at) <= now)
        .order_by(col(Obligation.next_check_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def escalate_due(
    session: Session,
    *,
    now: datetime,
    policy: Policy,
    routing: Routing,
    quiet: QuietHours | None,
    batch_size: int,
) -> Sweep:
    """Claim up to `batch_size` due obligations: fire their reminders and the chain levels that
    came due (a late sweep catches up on every one), or hold them through quiet hours.
    Set-based: the levels move in one statement, the timeline entries and the accountability
    records are inserted in one each."""
    sweep = Sweep()
    obligations = claim_due(session, now=now, limit=batch_size)
    sweep.claimed = len(obligations)
    if not obligations:
        return sweep
    case_ids = {o.case_id for o in obligations}
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids)))}
    directory = load_directory(session)
    planned: list[tuple[Case, Obligation, ObligationPlan]] = []
    records = _Records()
    for obligation in obligations:
        case = cases[obligation.case_id]
        plan = _plan(case, obligation, now, policy, quiet)
        if plan.held_until is not None:
            sweep.held += 1
            _hold(records, case, obligation, until=plan.held_until, now=now, tz=policy.timezone)
        elif not (plan.remind or plan.reminder_superseded or plan.steps):
            obligation.next_check_at = plan.next_check_at  # woken early: look again later
            session.add(obligation)
        else:
            planned.append((case, obligation, plan))
    moves = [
        Move(
            obligation,
            to_level=plan.steps[-1].level if plan.steps else obligation.level,
            next_check_at=plan.next_check_at,
            reminded_at=now if (plan.remind or plan.reminder_superseded) else None,
        )
        for _, obligation, plan in planned
    ]
    moved = advance_levels(session, moves)
    for case, obligation, plan in planned:
        if obligation.id not in moved:
            continue  # another sweeper fired it
        rule = policy.escalation_for(case.grade)
        if plan.remind:
            sweep.reminders += 1
            sweep.notices.append(_reminder(records, case, obligation, now, rule))
        for step in plan.steps:
            sweep.levels_fired += 1
            notice = _fire_level(records, case, obligation, step, now, policy, routing, directory)
            sweep.notices.append(notice)
    records.insert(session)
    return sweep


def _plan(
    case: Case, obligation: Obligation, now: datetime, policy: Policy, quiet: QuietHours | None
) -> ObligationPlan:
    grade = policy.scheme.level(case.grade).id
    return plan_obligation(
        anchor_at=obligation.anchor_at,
        due_at=obligation.due_at,
        fired_level=obligation.level,
        reminded=obligation.reminded_at is not None,
        rule=policy.escalation_for(case.grade),
        chain=policy.chain_for(grade, obligation.key),
        now=now,
        held_until=quiet_until(now, quiet, grade=grade, tz=ZoneInfo(policy.timezone)),
    )


@dataclass
class _Records:
    """What a sweep batch writes besides the levels: timeline entries and accountability
    records, in order, inserted together once the batch is planned."""

    events: list[dict[str, Any]] = field(default_factory=list)
    accountability: list[dict[str, Any]] = field(default_factory=list)

    def event(
        self, case_id: int | None, kind: EventKind, at: datetime, message: str, data: dict[str, Any]
    ) -> None:
        self.events.append(
            {
                "case_id": case_id,
                "at": at,
                "kind": kind,
                "actor": "system",
                "message": message,
                "data": data,
            }
        )

    def insert(self, session: Session) -> None:
        session.flush()  # whatever the session holds comes first on the timeline
        if self.events:
            session.execute(insert(CaseEvent.__table__), self.events)  # type: ignore[attr-defined]
        if self.accountability:
            table = AccountabilityRecord.__table__  # type: ignore[attr-defined]
            session.execute(insert(table), self.accountability)


def _reminder(
    records: _Records, case: Case, obligation: Obligation, now: datetime, rule: EscalationRule
) -> Notice:
    assert case.id is not None
    records.event(
        case.id,
        EventKind.REMINDER_DUE,
        now,
        f"{obligation.title}即将到期（截止前提醒）",
        {
            "obligation": obligation.key,
            "reminder_at": reminder_at(obligation.anchor_at, obligation.due_at, rule).isoformat(),
        },
    )
    return Notice(
        kind=NoticeKind.REMINDER,
        occasion=f"{Chain.REMINDER.value}0",
        headline="到期前提醒：责任人",
        case_id=case.id,
        roles=(obligation.owner_role,),
        obligation_id=obligation.id,
        chain=Chain.REMINDER,
        level=0,
        late_by=now - obligation.due_at,
        ack_window=rule.ack_window,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=obligation.due_at.isoformat(),
    )


def _hold(
    records: _Records,
    case: Case,
    obligation: Obligation,
    *,
    until: datetime,
    now: datetime,
    tz: str,
) -> None:
    obligation.next_check_at = until
    local = until.astimezone(ZoneInfo(tz)).strftime("%H:%M")
    records.event(
        case.id,
        EventKind.ESCALATION_HELD,
        now,
        f"{obligation.title}：静默时段，提醒延至 {local} 发出",
        {"obligation": obligation.key, "until": until.isoformat()},
    )


def _fire_level(
    records: _Records,
    case: Case,
    obligation: Obligation,
    step: LapseStep,
    now: datetime,
    policy: Policy,
    routing: Routing,
    directory: Directory,
) -> Notice:
    assert case.id is not None and obligation.id is not None
    grade = policy.scheme.level(case.grade).id
    rung = policy.chain_level(step.level, policy.chain_for(grade, obligation.key))
    roles = level_roles(policy, routing, case, obligation, step.level)
    people = chain_people(directory, roles, case, obligation, routing, now)
    dual = "（双重报告）" if routing.second_roles(grade, step.level) else ""
    records.event(
        case.id,
        EventKind.DEADLINE_LAPSED,
        now,
        f"{obligation.title}{late_text(step.late_by)}：第{step.level}级催办"
        f"（{rung.label}）{dual}，通知 {len(people)} 人",
        {
            "obligation": obligation.key,
            "level": step.level,
            "late_seconds": int(step.late_by.total_seconds()),
            "recipients": people,
        },
    )
    if step.level == 1:
        owners = chain_people(directory, (obligation.owner_role,), case, obligation, routing, now)
        _account(records, case.id, obligation, step, owners, now)
    return Notice(
        kind=NoticeKind.LAPSE,
        occasion=f"{Chain.NO_COMPLETION.value}{step.level}",
        headline=rung.label,
        case_id=case.id,
        roles=roles,
        obligation_id=obligation.id,
        chain=Chain.NO_COMPLETION,
        level=step.level,
        late_by=step.late_by,
        ack_window=policy.escalation_for(case.grade).ack_window,
        links=ALERT_LINKS,
        link_subject=obligation.key,
        sort_at=step.due_at.isoformat(),
    )


def _account(
    records: _Records,
    case_id: int,
    obligation: Obligation,
    step: LapseStep,
    responsible: list[str],
    now: datetime,
) -> None:
    """The accountability record of a lapse (evidence for people to judge), and its entry."""
    row, message = lapse_record(case_id, obligation, step.level, step.late_by, responsible, now)
    records.accountability.append(row)
    data = {"obligation": obligation.key, "responsible": responsible}
    records.event(case_id, EventKind.ACCOUNTABILITY, now, message, data)
