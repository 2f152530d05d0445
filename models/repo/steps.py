"""The case flow's steps: the notices a person's action causes, written as `CaseStep` rows in the
action's own transaction (nothing is lost if no flow runs yet), then claimed and carried out one
task each by the `case` flow. A claim is compare-and-set from pending (or from a claim older than
the lease: its flow died), so two runners never do one step; a step that failed waits for a
re-run, which also takes failed ones. Keyword-only functions over a Session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import Session, col, select

from models.policy.notices import Notice
from models.policy.states import EventKind, StepStatus
from models.repo.cases import add_event
from models.store.tables import CaseStep

LEASE = timedelta(minutes=2)  # a step claimed longer ago than this: its runner died


def add_steps(
    session: Session, *, case_id: int, notices: Sequence[Notice], at: datetime
) -> list[CaseStep]:
    steps = [
        CaseStep(case_id=case_id, kind=n.kind.value, payload=n.to_json(), created_at=at)
        for n in notices
    ]
    session.add_all(steps)
    session.flush()
    return steps


def _claimable(*, now: datetime, lease: timedelta, failed: bool) -> ColumnElement[bool]:
    statuses = [StepStatus.PENDING.value] + ([StepStatus.FAILED.value] if failed else [])
    return or_(
        col(CaseStep.status).in_(statuses),
        and_(
            col(CaseStep.status) == StepStatus.RUNNING.value,
            col(CaseStep.claimed_at) < now - lease,
        ),
    )


def claim_steps(
    session: Session,
    *,
    case_id: int,
    now: datetime,
    lease: timedelta = LEASE,
    failed: bool = False,
) -> list[CaseStep]:
    """Claim the case's waiting steps in order (and its failed ones when `failed`: a re-run)."""
    ids = session.exec(
        select(CaseStep.id)
        .where(CaseStep.case_id == case_id, _claimable(now=now, lease=lease, failed=failed))
        .order_by(col(CaseStep.id))
    ).all()
    claimed = []
    for step_id in ids:
        taken = session.execute(
            update(CaseStep)
            .where(col(CaseStep.id) == step_id, _claimable(now=now, lease=lease, failed=failed))
            .values(status=StepStatus.RUNNING.value, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            step = session.get(CaseStep, step_id)
            assert step is not None
            session.refresh(step)
            claimed.append(step)
    return claimed


def finish_step(session: Session, step_id: int, *, at: datetime) -> None:
    session.execute(
        update(CaseStep)
        .where(col(CaseStep.id) == step_id)
        .values(status=StepStatus.DONE.value, done_at=at, attempts=CaseStep.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def fail_step(session: Session, step_id: int, *, at: datetime, error: str) -> None:
    """The durable record of a step that failed after its retries: the case is listed as stuck
    with it until a re-run carries it out."""
    step = session.get(CaseStep, step_id)
    assert step is not None
    step.status, step.error, step.attempts = StepStatus.FAILED, error[:2000], step.attempts + 1
    session.add(step)
    add_event(
        session,
        case_id=step.case_id,
        kind=EventKind.STEP_FAILED,
        at=at,
        message=f"步骤 {step.kind}（{step.id}）失败：{error}"[:500],
        data={"step": step.kind, "step_id": step.id, "error": error[:2000]},
    )


def cases_waiting(session: Session, *, now: datetime, lease: timedelta = LEASE) -> list[int]:
    """Cases with steps waiting to be carried out (or whose runner died), oldest first."""
    query = (
        select(CaseStep.case_id, func.min(CaseStep.id))
        .where(_claimable(now=now, lease=lease, failed=False))
        .group_by(col(CaseStep.case_id))
        .order_by(func.min(CaseStep.id))
    )
    return [case_id for case_id, _ in session.exec(query).all()]


def next_step_due(session: Session, *, lease: timedelta = LEASE) -> datetime | None:
    """When a step next needs a runner: now for a waiting one, a claim's expiry otherwise."""
    waiting = session.exec(
        select(func.min(CaseStep.created_at)).where(
            col(CaseStep.status) == StepStatus.PENDING.value
        )
    ).one()
    running = session.exec(
        select(func.min(CaseStep.claimed_at)).where(
            col(CaseStep.status) == StepStatus.RUNNING.value
        )
    ).one()
    found = [t for t in (waiting, None if running is None else running + lease) if t is not None]
    return min(found) if found else None
