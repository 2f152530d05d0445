"""The no-acknowledgement chain in the database (DESIGN §5): an alert delivered but not
acknowledged within its grade's ack window is followed up, first on the same person's next
channel, then to their deputy or the duty officer on duty; nothing after that. Claiming an alert
clears its check with compare-and-set, so two sweepers never follow one up twice; the follow-ups
are returned as notices (the caller queues them in the same transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.catalogue import ALERT_LINKS
from models.policy.notices import Notice, NoticeKind
from models.policy.routing import NoAckStep, Routing, plan_no_ack
from models.policy.states import Chain, EventKind, ObligationStatus
from models.repo.cases import add_event, get_case
from models.repo.directory import load_directory
from models.store.tables import Notification, Obligation, Person

NO_ACK_LABELS = {1: "未签收：改用下一渠道", 2: "未签收：转代理人或值班领导"}


@dataclass
class FollowUps:
    """What one batch of the no-ack chain did, and what must be told."""

    claimed: int = 0
    followed_up: int = 0
    notices: list[Notice] = field(default_factory=list)


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


def follow_up_unacked(
    session: Session, *, now: datetime, policy: Policy, routing: Routing, batch_size: int
) -> FollowUps:
    """Follow up the alerts whose ack window has passed (DESIGN §5): the same person's next
    channel, then their deputy or the duty officer on duty. Claiming an alert clears its check
    with compare-and-set, so two sweepers never follow one up twice."""
    sweep = FollowUps()
    rows = claim_unacked(session, now=now, limit=batch_size)
    sweep.claimed = len(rows)
    if not rows:
        return sweep
    duty = load_directory(session).holders(shifts=routing.shifts, at=now).get("duty_officer", [])
    channels_of = {p.id: list(p.channels) for p in session.exec(select(Person)).all()}
    for row in rows:
        alert = (row.id, row.recipient_id, row.channel, row.level, row.chain)
        if not _take(session, row.id) or row.obligation_id is None:
            continue
        obligation = session.get(Obligation, row.obligation_id)
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
            duty=duty,
        )
        sweep.followed_up += 1
        sweep.notices += _follow_up(session, obligation, alert[0], steps, now=now, policy=policy)
    return sweep


def _follow_up(
    session: Session,
    obligation: Obligation,
    notification_id: str,
    steps: list[NoAckStep],
    *,
    now: datetime,
    policy: Policy,
) -> list[Notice]:
    case = get_case(session, obligation.case_id)
    assert case.id is not None
    rule = policy.escalation_for(case.grade)
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.ACK_OVERDUE,
        at=now,
        message=f"{obligation.title}：提醒超过签收时限未签收，"
        + ("转送 " + "、".join(s.recipient for s in steps) if steps else "已无可转送对象"),
        data={"notification": notification_id, "to": [s.recipient for s in steps]},
    )
    return [
        Notice(
            kind=NoticeKind.NO_ACK,
            occasion=f"{Chain.NO_ACK.value}{step.step}",
            headline=NO_ACK_LABELS[step.step],
            case_id=case.id,
            people=(step.recipient,),
            channel=step.channel,
            obligation_id=obligation.id,
            chain=Chain.NO_ACK,
            level=step.step,
            late_by=now - obligation.due_at,
            ack_window=rule.ack_window if step.step < 2 else None,
            links=ALERT_LINKS,
            link_subject=obligation.key,
            sort_at=obligation.due_at.isoformat(),
        )
        for step in steps
    ]
