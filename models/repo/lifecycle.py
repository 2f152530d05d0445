"""Moving a case through its lifecycle in the database.

`advance` applies a stage event (the policy engine's `apply_event` says what it means; this
performs it with compare-and-set on the stage): the new stage on the record, the obligations it
satisfies completed, those it cancels cancelled, those it starts opened from their anchor.
`settle` and `cancel_open` complete or cancel open obligations, each on the timeline. Who must
hear of a move is `models.repo.stage_notices`; a change of grade is `models.repo.regrade`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy import (
    IllegalTransition,
    Policy,
    StageEvent,
    Transition,
    WorkCalendar,
    apply_event,
)
from models.policy.policy import base_key
from models.policy.stages import STAGE_LABELS, Stage
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import CaseError, add_event, get_case, who
from models.repo.opening import open_obligation
from models.store.tables import Case, CaseEvent, Obligation


def advance(
    session: Session,
    *,
    case_id: int,
    event: StageEvent | str,
    actor: str,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> tuple[Transition, int]:
    """Apply a stage event: new stage, obligations opened, satisfied and cancelled, on record.
    Returns the transition and the id of its timeline entry (what its notices are keyed by)."""
    case = get_case(session, case_id)
    transition = apply_event(
        case.stage, event, at=at, policy=policy, grade=case.grade, closed_at=case.closed_at
    )
    _move_stage(session, case, transition, at=at)
    entry = _record_move(session, case_id, transition, actor=actor, at=at)
    _settle_transition(session, case_id, transition, actor=actor, at=at)
    _open_started(session, case_id, transition, at=at, policy=policy, calendar=calendar)
    session.flush()
    assert entry is not None and entry.id is not None
    return transition, entry.id


def _move_stage(session: Session, case: Case, transition: Transition, *, at: datetime) -> None:
    """The new stage, compare-and-set on the old one: a concurrent change makes this refuse."""
    moved = session.execute(
        update(Case)
        .where(col(Case.id) == case.id, col(Case.stage) == case.stage.value)
        .values(
            stage=transition.to_stage.value,
            updated_at=at,
            closed_at=_closed_at(transition, case.closed_at),
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseError(f"案件 {case.id} 的阶段已被他人更改，请刷新后重试 (stage changed)")
    session.expire(case)


def _record_move(
    session: Session, case_id: int, transition: Transition, *, actor: str, at: datetime
) -> CaseEvent | None:
    old, new = STAGE_LABELS[transition.from_stage], STAGE_LABELS[transition.to_stage]
    return add_event(
        session,
        case_id=case_id,
        kind=EventKind.STAGE_CHANGED,
        at=at,
        actor=actor,
        message=f"{who(session, actor)}：阶段 {old} → {new}",
        data={
            "from": transition.from_stage.value,
            "to": transition.to_stage.value,
            "event": transition.event.value,
        },
    )


def _settle_transition(
    session: Session, case_id: int, transition: Transition, *, actor: str, at: datetime
) -> None:
    """The obligations the move satisfies completed, those it ends cancelled."""
    for keys, status in (
        (transition.obligations_to_close, ObligationStatus.COMPLETED),
        (transition.obligations_to_cancel, ObligationStatus.CANCELLED),
    ):
        settle(session, case_id=case_id, keys=keys, status=status, actor=actor, at=at)


def _open_started(
    session: Session,
    case_id: int,
    transition: Transition,
    *,
    at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> None:
    """The obligations the move starts, from this moment as their anchor (once each)."""
    existing = {o.key for o in obligations_of(session, case_id)}
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


def is_legal(policy: Policy, case: Case, event: StageEvent) -> bool:
    """Whether the case's template lets `event` happen in its current stage."""
    try:
        policy.template.target(case.stage, event)
    except IllegalTransition:
        return False
    return True


def _closed_at(transition: Transition, current: datetime | None) -> datetime | None:
    """Closing stamps the time; reopening clears it, so the case is listed as open again."""
    if transition.to_stage is Stage.closed:
        return transition.at
    return None if transition.event is StageEvent.reopen else current


def obligations_of(session: Session, case_id: int) -> Sequence[Obligation]:
    """Every obligation of the case, whatever its status."""
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
    for obligation in obligations_of(session, case_id):
        if not _among(obligation, keys) or obligation.status != ObligationStatus.OPEN:
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


def _among(obligation: Obligation, keys: Sequence[str]) -> bool:
    """`keys` name it, or its rule when it is a further instance no unit holds of its own (a
    redo after a stage moved back: met by the same event; an added unit's is its own)."""
    if obligation.key in keys:
        return True
    return obligation.assignee_id is None and base_key(obligation.key) in keys


def cancel_open(
    session: Session, *, case_id: int, actor: str, at: datetime, keep: Sequence[str] = ()
) -> list[str]:
    """Cancel every still-open obligation of the case except `keep` (closing a case ends the
    chase of what was left undone); returns the cancelled keys."""
    keys = [
        o.key
        for o in obligations_of(session, case_id)
        if o.status == ObligationStatus.OPEN and o.key not in keep
    ]
    settle(
        session, case_id=case_id, keys=keys, status=ObligationStatus.CANCELLED, actor=actor, at=at
    )
    return keys
