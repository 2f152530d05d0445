"""The sweep's work for the no-acknowledgement chain (DESIGN §5): an alert delivered but not
acknowledged within its grade's ack window goes to the same person's next channel, then to
their deputy or the duty officer on duty. Each delivered alert carries `ack_due_at`; claiming it
clears that with compare-and-set, so two sweepers never follow one alert up twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy.routing import NoAckStep, overlay_roster, plan_no_ack
from models.policy.states import Chain, EventKind, ObligationStatus
from models.repo.cases import add_event
from models.repo.directory import role_holders
from models.store.tables import Case, Notification, Obligation, Person
from notifications.context import EscalationContext
from notifications.queue import AlertSpec, queue_alert

STEP_LABELS = {1: "未签收：改用下一渠道", 2: "未签收：转代理人或值班领导"}


def claim_unacked(session: Session, *, now: datetime, limit: int) -> Sequence[Notification]:
    query = (
        select(Notification)
        .where(col(Notification.ack_due_at) <= now)
        .order_by(col(Notification.ack_due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def _take(session: Session, notification_id: str) -> bool:
    result = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.ack_due_at).is_not(None))
        .values(ack_due_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def escalate_unacked(
    session: Session, *, now: datetime, ctx: EscalationContext, batch_size: int
) -> int:
    """Follow up alerts whose ack window has passed; returns how many alerts were queued."""
    rows = claim_unacked(session, now=now, limit=batch_size)
    if not rows:
        return 0
    holders = overlay_roster(role_holders(session), ctx.shifts, at=now)
    channels_of = {p.id: list(p.channels) for p in session.exec(select(Person)).all()}
    queued = 0
    for row in rows:
        alert = (row.id, row.recipient_id, row.channel, row.level, row.chain)
        if not _take(session, row.id):
            continue
        obligation = session.get(Obligation, row.obligation_id) if row.obligation_id else None
        if obligation is None or obligation.acked_at is not None:
            continue
        if obligation.status != ObligationStatus.OPEN:
            continue
        person = session.get(Person, alert[1])
        steps = plan_no_ack(
            step_done=alert[3] if alert[4] == Chain.NO_ACK else 0,
            recipient=alert[1],
            channel=alert[2],
            channels_of=channels_of,
            deputy=person.deputy_id if person else None,
            duty=holders.get("duty_officer", []),
        )
        queued += _follow_up(session, obligation, alert[0], steps, ctx=ctx, now=now)
    return queued


def _follow_up(
    session: Session,
    obligation: Obligation,
    notification_id: str,
    steps: list[NoAckStep],
    *,
    ctx: EscalationContext,
    now: datetime,
) -> int:
    case = session.get(Case, obligation.case_id)
    assert case is not None and case.id is not None
    rule = ctx.policy.escalation_for(case.grade)
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.ACK_OVERDUE,
        at=now,
        message=f"{obligation.title}：提醒超过签收时限未签收，"
        + ("转送 " + "、".join(s.recipient for s in steps) if steps else "已无可转送对象"),
        data={"notification": notification_id, "to": [s.recipient for s in steps]},
    )
    queued = 0
    for step in steps:
        person = session.get(Person, step.recipient)
        if person is None:
            continue
        window = rule.ack_window if step.step < 2 else None
        spec = AlertSpec(
            Chain.NO_ACK, step.step, STEP_LABELS[step.step], now - obligation.due_at, window
        )
        queued += queue_alert(
            session,
            case=case,
            obligation=obligation,
            spec=spec,
            person=person,
            channel=step.channel,
            ctx=ctx,
            now=now,
        )
    return queued
