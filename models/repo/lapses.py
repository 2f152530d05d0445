"""The no-completion chain in the database: what the sweep does to each obligation whose next
check has come. It claims a batch (locked rows that another sweeper holds are skipped on
PostgreSQL), fires the reminders and the chain levels that came due (a late sweep catches up on
every one) or holds 三级 reminders through quiet hours, moves the levels with compare-and-set
(`models.repo.levels`), records each lapse on the case timeline with its accountability record
(`models.repo.lapse_records`), and returns the notices the batch causes; it never queues or
sends. Set-based: the levels move in one statement, the timeline entries and the accountability
records are inserted in one each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.escalation import (
    ObligationPlan,
    QuietHours,
    plan_obligation,
    quiet_until,
)
from models.policy.notices import Notice
from models.policy.routing import Routing
from models.policy.states import ObligationStatus
from models.repo.directory import load_directory
from models.repo.lapse_records import LapseRecords, fire_level, hold, reminder
from models.repo.levels import Move, advance_levels
from models.store.tables import Case, Obligation


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
    records = LapseRecords()
    planned = _triage(session, sweep, records, obligations, cases, now, policy, quiet)
    moved = advance_levels(
        session, [_move(obligation, plan, now) for _, obligation, plan in planned]
    )
    for case, obligation, plan in planned:
        if obligation.id not in moved:
            continue  # another sweeper fired it
        rule = policy.escalation_for(case.grade)
        if plan.remind:
            sweep.reminders += 1
            sweep.notices.append(reminder(records, case, obligation, now, rule))
        for step in plan.steps:
            sweep.levels_fired += 1
            notice = fire_level(records, case, obligation, step, now, policy, routing, directory)
            sweep.notices.append(notice)
    records.insert(session)
    return sweep


Planned = list[tuple[Case, Obligation, ObligationPlan]]


def _triage(
    session: Session,
    sweep: Sweep,
    records: LapseRecords,
    obligations: Sequence[Obligation],
    cases: dict[int | None, Case],
    now: datetime,
    policy: Policy,
    quiet: QuietHours | None,
) -> Planned:
    """Each claimed obligation held through quiet hours, looked at again later (woken early), or
    planned: its reminder and the levels that came due."""
    planned: Planned = []
    for obligation in obligations:
        case = cases[obligation.case_id]
        plan = _plan(case, obligation, now, policy, quiet)
        if plan.held_until is not None:
            sweep.held += 1
            hold(records, case, obligation, until=plan.held_until, now=now, tz=policy.timezone)
        elif not (plan.remind or plan.reminder_superseded or plan.steps):
            obligation.next_check_at = plan.next_check_at  # woken early: look again later
            session.add(obligation)
        else:
            planned.append((case, obligation, plan))
    return planned


def _move(obligation: Obligation, plan: ObligationPlan, now: datetime) -> Move:
    return Move(
        obligation,
        to_level=plan.steps[-1].level if plan.steps else obligation.level,
        next_check_at=plan.next_check_at,
        reminded_at=now if (plan.remind or plan.reminder_superseded) else None,
    )


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
