"""The sweep's work for the no-completion chain: for each claimed obligation, fire the owner's
reminder or the chain levels that are due (each with the lapse on the case timeline, one
accountability record per lapse, and one outbox row per recipient and level, the second
reporting line and the duty roster included), or hold them through quiet hours; all in the
caller's single transaction, so a lapse and the alerts it causes are written together or not at
all. The no-acknowledgement chain is `notifications.noack`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.policy import OWNER, reminder_at
from models.policy.escalation import (
    LapseStep,
    format_late,
    plan_obligation,
    quiet_until,
    recipients,
)
from models.policy.routing import overlay_roster
from models.policy.states import Chain, EventKind
from models.repo.cases import add_event
from models.repo.directory import role_holders
from models.repo.escalation import advance_level, claim_due
from models.store.tables import AccountabilityRecord, Case, Obligation
from notifications.context import EscalationContext
from notifications.queue import AlertSpec, queue_to_people


@dataclass(frozen=True)
class SweepResult:
    claimed: int
    levels_fired: int
    queued: int
    reminders: int = 0
    held: int = 0


@dataclass
class _Tally:
    levels: int = 0
    queued: int = 0
    reminders: int = 0
    held: int = 0


def escalate_due(
    session: Session, *, now: datetime, ctx: EscalationContext, batch_size: int
) -> SweepResult:
    """Claim up to `batch_size` due obligations and queue their reminders and escalations."""
    obligations = claim_due(session, now=now, limit=batch_size)
    holders = overlay_roster(role_holders(session), ctx.shifts, at=now)
    tally = _Tally()
    for obligation in obligations:
        owners = holders
        if obligation.assignee_id is not None:  # 转办: the assignee stands in for the owner role
            owners = {**holders, obligation.owner_role: [obligation.assignee_id]}
        _escalate_one(session, obligation, now=now, ctx=ctx, holders=owners, tally=tally)
    return SweepResult(len(obligations), tally.levels, tally.queued, tally.reminders, tally.held)


def _escalate_one(
    session: Session,
    obligation: Obligation,
    *,
    now: datetime,
    ctx: EscalationContext,
    holders: dict[str, list[str]],
    tally: _Tally,
) -> None:
    case = session.get(Case, obligation.case_id)
    assert case is not None and case.id is not None
    rule = ctx.policy.escalation_for(case.grade)
    grade = ctx.policy.scheme.level(case.grade).id
    plan = plan_obligation(
        anchor_at=obligation.anchor_at,
        due_at=obligation.due_at,
        fired_level=obligation.level,
        reminded=obligation.reminded_at is not None,
        rule=rule,
        chain=ctx.policy.chain,
        now=now,
        held_until=quiet_until(now, ctx.quiet, grade=grade, tz=ctx.tz),
    )
    if plan.held_until is not None:
        tally.held += 1
        _hold(session, case.id, obligation, until=plan.held_until, now=now, ctx=ctx)
        return
    if not (plan.remind or plan.reminder_superseded or plan.steps):
        obligation.next_check_at = plan.next_check_at  # woken early: look again later
        return
    to_level = plan.steps[-1].level if plan.steps else obligation.level
    marked = now if (plan.remind or plan.reminder_superseded) else None
    key, title, owner_role = obligation.key, obligation.title, obligation.owner_role
    if not advance_level(
        session, obligation, to_level=to_level, next_check_at=plan.next_check_at, reminded_at=marked
    ):
        return  # another sweeper fired it
    if plan.remind:
        tally.reminders += 1
        spec = AlertSpec(
            Chain.REMINDER, 0, "到期前提醒：责任人", now - obligation.due_at, rule.ack_window
        )
        tally.queued += _notify(session, case, obligation, spec, (owner_role,), holders, ctx, now)
        add_event(
            session,
            case_id=case.id,
            kind=EventKind.REMINDER_DUE,
            at=now,
            message=f"{title}即将到期（截止前提醒）",
            data={
                "obligation": key,
                "reminder_at": reminder_at(
                    obligation.anchor_at, obligation.due_at, rule
                ).isoformat(),
            },
        )
    for step in plan.steps:
        tally.levels += 1
        tally.queued += _fire_level(session, case, obligation, step, grade, holders, ctx, now)


def _hold(
    session: Session,
    case_id: int,
    obligation: Obligation,
    *,
    until: datetime,
    now: datetime,
    ctx: EscalationContext,
) -> None:
    obligation.next_check_at = until
    session.add(obligation)
    local = until.astimezone(ctx.tz).strftime("%H:%M")
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.ESCALATION_HELD,
        at=now,
        message=f"{obligation.title}：静默时段，提醒延至 {local} 发出",
        data={"obligation": obligation.key, "until": until.isoformat()},
    )


def _fire_level(
    session: Session,
    case: Case,
    obligation: Obligation,
    step: LapseStep,
    grade: str,
    holders: dict[str, list[str]],
    ctx: EscalationContext,
    now: datetime,
) -> int:
    assert case.id is not None and obligation.id is not None
    rung = ctx.policy.chain_level(step.level)
    roles = rung.recipients(obligation.owner_role) + ctx.second_roles(grade, step.level)
    people = recipients(tuple(dict.fromkeys(roles)), holders=holders)
    late = format_late(step.late_by)
    dual = "（双重报告）" if ctx.second_roles(grade, step.level) else ""
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.DEADLINE_LAPSED,
        at=now,
        message=f"{obligation.title}超时 {late}：第{step.level}级催办（{rung.label}）{dual}，"
        f"通知 {len(people)} 人",
        data={
            "obligation": obligation.key,
            "level": step.level,
            "late_seconds": int(step.late_by.total_seconds()),
            "recipients": people,
        },
    )
    if step.level == 1:
        _account(session, case.id, obligation, step, holders, now)
    rule = ctx.policy.escalation_for(case.grade)
    spec = AlertSpec(Chain.NO_COMPLETION, step.level, rung.label, step.late_by, rule.ack_window)
    return _notify(session, case, obligation, spec, roles, holders, ctx, now)


def _account(
    session: Session,
    case_id: int,
    obligation: Obligation,
    step: LapseStep,
    holders: dict[str, list[str]],
    now: datetime,
) -> None:
    """The accountability record of a lapse: evidence for people to judge, never a verdict."""
    assert obligation.id is not None
    responsible = recipients((obligation.owner_role,), holders=holders)
    session.add(
        AccountabilityRecord(
            case_id=case_id,
            obligation_id=obligation.id,
            obligation_title=obligation.title,
            owner_role=obligation.owner_role,
            responsible=responsible,
            level=step.level,
            due_at=obligation.due_at,
            recorded_at=now,
            late_seconds=int(step.late_by.total_seconds()),
        )
    )
    who = "、".join(responsible) or "未配置"
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.ACCOUNTABILITY,
        at=now,
        message=f"逾期记录（待人工研判）：{obligation.title}，责任人 {who}",
        data={"obligation": obligation.key, "responsible": responsible},
    )


def _notify(
    session: Session,
    case: Case,
    obligation: Obligation,
    spec: AlertSpec,
    roles: tuple[str, ...],
    holders: dict[str, list[str]],
    ctx: EscalationContext,
    now: datetime,
) -> int:
    people = recipients([r for r in roles if r != OWNER], holders=holders)
    return queue_to_people(
        session, case=case, obligation=obligation, spec=spec, people=people, ctx=ctx, now=now
    )


def accountability(
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
