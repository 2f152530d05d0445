"""Moving a case through its lifecycle in the database: a stage event (the policy engine's
`apply_event` says what it means; this module performs it with compare-and-set on the stage)
and a grade change (`decide_regrade` and `plan_regrade`: open deadlines only ever shorten, the
old → new diff goes on the timeline, obligations new to the grade are opened)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy import (
    DueTime,
    OpenObligation,
    Policy,
    StageEvent,
    Transition,
    WorkCalendar,
    apply_event,
    decide_regrade,
    plan_regrade,
)
from models.policy.stages import STAGE_LABELS, Stage
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import CaseError, add_event, get_case, open_obligation
from models.repo.rerun import open_missing
from models.repo.stuck import load_states
from models.store.tables import Case, Obligation


def advance(
    session: Session,
    *,
    case_id: int,
    event: StageEvent | str,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> Transition:
    """Apply a stage event: new stage, obligations opened, satisfied and cancelled, on record."""
    case = get_case(session, case_id)
    transition = apply_event(
        case.stage, event, at=at, policy=policy, grade=case.grade, closed_at=case.closed_at
    )
    moved = session.execute(
        update(Case)
        .where(col(Case.id) == case_id, col(Case.stage) == case.stage.value)
        .values(
            stage=transition.to_stage.value,
            updated_at=at,
            closed_at=_closed_at(transition, case.closed_at),
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseError(f"案件 {case_id} 的阶段已被他人更改，请刷新后重试 (stage changed)")
    session.expire(case)
    old, new = STAGE_LABELS[transition.from_stage], STAGE_LABELS[transition.to_stage]
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.STAGE_CHANGED,
        at=at,
        actor=actor,
        message=f"{actor}：阶段 {old} → {new}",
        data={
            "from": transition.from_stage.value,
            "to": transition.to_stage.value,
            "event": transition.event.value,
        },
    )
    settle(
        session,
        case_id=case_id,
        keys=transition.obligations_to_close,
        status=ObligationStatus.COMPLETED,
        actor=actor,
        at=at,
    )
    settle(
        session,
        case_id=case_id,
        keys=transition.obligations_to_cancel,
        status=ObligationStatus.CANCELLED,
        actor=actor,
        at=at,
    )
    existing = {o.key for o in _obligations(session, case_id)}
    tz = ZoneInfo(policy.timezone)
    for key in transition.obligations_to_open:
        if key not in existing:
            open_obligation(
                session,
                case=get_case(session, case_id),
                rule_key=key,
                policy=policy,
                anchor_at=at,
                calendar=calendar,
                tz=tz,
            )
    return transition


def _closed_at(transition: Transition, current: datetime | None) -> datetime | None:
    """Closing stamps the time; reopening clears it, so the case is listed as open again."""
    if transition.to_stage is Stage.closed:
        return transition.at
    return None if transition.event is StageEvent.reopen else current


def _obligations(session: Session, case_id: int) -> Sequence[Obligation]:
    return session.exec(select(Obligation).where(Obligation.case_id == case_id)).all()


def settle(
    session: Session,
    *,
    case_id: int,
    keys: Sequence[str],
    status: ObligationStatus,
    actor: str,
    at: datetime,
) -> None:
    """Complete or cancel the open ones among `keys`, each on the timeline."""
    verb = "完成" if status == ObligationStatus.COMPLETED else "取消"
    for obligation in _obligations(session, case_id):
        if obligation.key not in keys or obligation.status != ObligationStatus.OPEN:
            continue
        obligation.status, obligation.next_check_at = status, None
        if status == ObligationStatus.COMPLETED:
            obligation.completed_at, obligation.completed_by = at, actor
        session.add(obligation)
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.COMPLETED,
            at=at,
            actor=actor,
            message=f"{verb}：{obligation.title}",
            data={"obligation": obligation.key, "status": status.value},
        )


def cancel_open(
    session: Session, *, case_id: int, actor: str, at: datetime, keep: Sequence[str] = ()
) -> list[str]:
    """Cancel every still-open obligation of the case except `keep` (closing a case ends the
    chase of what was left undone); returns the cancelled keys."""
    keys = [
        o.key
        for o in _obligations(session, case_id)
        if o.status == ObligationStatus.OPEN and o.key not in keep
    ]
    settle(
        session, case_id=case_id, keys=keys, status=ObligationStatus.CANCELLED, actor=actor, at=at
    )
    return keys


def regrade(
    session: Session,
    *,
    case_id: int,
    grade: str,
    actor: str | None,
    reason: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    approver: str | None = None,
) -> Case:
    """Change the grade: upgrades freely (automatic when `actor` is None), downgrades only with
    an actor, a reason and an approver. Deadlines become min(current, anchor + new duration)."""
    case = get_case(session, case_id)
    decision = decide_regrade(
        policy.scheme, case.grade, grade, actor=actor, reason=reason, approver=approver
    )
    obligations = _obligations(session, case_id)
    open_ones = tuple(
        OpenObligation(key=o.key, anchor_at=o.anchor_at, due=DueTime(o.due_at, o.provisional))
        for o in obligations
        if o.status == ObligationStatus.OPEN
    )
    plan = plan_regrade(
        policy,
        case.grade,
        grade,
        open_ones,
        calendar=calendar,
        known_keys=frozenset(o.key for o in obligations),
    )
    by_key = {o.key: o for o in obligations}
    tz = ZoneInfo(policy.timezone)
    diff = []
    for change in plan.changes:
        if change.new.at < change.old.at:
            obligation = by_key[change.key]
            obligation.due_at, obligation.provisional = change.new.at, change.new.provisional
            if obligation.level == 0:  # not yet lapsed: the next check is the new due time
                obligation.next_check_at = change.new.at
            session.add(obligation)
            diff.append(
                f"{obligation.title} {change.old.at.astimezone(tz):%m-%d %H:%M} → "
                f"{change.new.at.astimezone(tz):%m-%d %H:%M}"
            )
    old_label, new_label = (policy.scheme.level(g).label for g in (case.grade, grade))
    case.grade, case.updated_at = decision.to_grade, at
    session.add(case)
    who = actor or "系统（指标越档自动升级）"
    moved = "；时限调整：" + "，".join(diff) if diff else "；时限无需调整"
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.GRADE_CHANGED,
        at=at,
        actor=actor or "system",
        message=f"{who}：等级 {old_label} → {new_label}，理由：{reason}{moved}",
        data={
            "from": plan.from_grade,
            "to": plan.to_grade,
            "reason": reason,
            "approver": approver,
            "moved": [
                {"obligation": c.key, "old": c.old.at.isoformat(), "new": c.new.at.isoformat()}
                for c in plan.changes
                if c.new.at < c.old.at
            ],
        },
    )
    # Rules new to the grade count from their own anchor when it has already happened
    # (registration, or the stage event that sets it); later anchors open them when they come.
    session.flush()
    (state,) = load_states(session, [case_id])
    open_missing(session, state, policy=policy, calendar=calendar)
    return case
