"""Queueing one alert in the sweep's transaction: render it, insert it into the outbox under its
unique key (case, obligation, chain and level, recipient, channel) and note it on the case
timeline. Shared by the no-completion chain, the no-acknowledgement chain and channel fall-over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from models.cases import add_event
from models.states import Chain, EventKind
from models.tables import Case, Obligation, Person
from notifications.context import EscalationContext
from notifications.outbox import enqueue, new_notification_id
from notifications.render import AlertFacts, render_alert


@dataclass(frozen=True)
class AlertSpec:
    """One alert to queue: which chain and level, how late (negative: time left), to whom."""

    chain: Chain
    level: int
    level_label: str
    late_by: timedelta
    ack_window: timedelta | None  # None: no no-ack follow-up


def queue_alert(
    session: Session,
    *,
    case: Case,
    obligation: Obligation,
    spec: AlertSpec,
    person: Person,
    channel: str,
    ctx: EscalationContext,
    now: datetime,
) -> bool:
    """Insert the alert unless its key is already queued; True when it was inserted."""
    assert case.id is not None and obligation.id is not None
    notification_id = new_notification_id()
    subject, body = render_alert(
        AlertFacts(
            notification_id=notification_id,
            case_id=case.id,
            case_title=case.title,
            grade_label=ctx.policy.scheme.level(case.grade).label,
            obligation_title=obligation.title,
            due_at=obligation.due_at,
            late_by=spec.late_by,
            level=spec.level,
            level_label=spec.level_label,
            recipient_name=person.name,
            chain=spec.chain,
        ),
        tz=ctx.tz,
        language=ctx.language,
    )
    window = spec.ack_window
    inserted = enqueue(
        session,
        case_id=case.id,
        obligation_id=obligation.id,
        level=spec.level,
        chain=spec.chain,
        recipient_id=person.id,
        channel=channel,
        subject=subject,
        body=body,
        notification_id=notification_id,
        ack_window_seconds=None if window is None else int(window.total_seconds()),
        at=now,
    )
    if inserted is None:
        return False
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.NOTIFICATION_QUEUED,
        at=now,
        message=f"待发送：致 {person.name}（{channel}），{spec.level_label}",
        data={
            "notification": notification_id,
            "recipient": person.id,
            "channel": channel,
            "chain": spec.chain.value,
            "level": spec.level,
        },
    )
    return True
