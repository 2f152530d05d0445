"""Queueing one alert in the sweep's transaction: render it (with the recipient's signed action
links when the context has a signer), insert it into the outbox under its unique key (case,
obligation, chain and level, recipient, channel) and note it on the case timeline. Shared by the
no-completion chain, the no-acknowledgement chain and channel fall-over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from models.policy.states import Chain, EventKind
from models.repo.cases import add_event
from models.store.tables import Case, Obligation, Person
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
    occasion: str | None = None,
) -> bool:
    """Insert the alert unless its key is already queued; True when it was inserted. An
    `occasion` (an action's own name) keys alerts outside the chain's levels apart from them."""
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
            links=alert_links(ctx, case_id=case.id, obligation=obligation, person=person, now=now),
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
        occasion=occasion,
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
            **({"occasion": occasion} if occasion else {}),
        },
    )
    return True


def queue_to_people(
    session: Session,
    *,
    case: Case,
    obligation: Obligation,
    spec: AlertSpec,
    people: Sequence[str],
    ctx: EscalationContext,
    now: datetime,
    occasion: str | None = None,
) -> int:
    """Queue the alert to each person (once) on their first channel; a person without a
    channel is noted on the timeline instead. Returns how many alerts were inserted."""
    assert case.id is not None
    queued = 0
    for person_id in dict.fromkeys(people):
        person = session.get(Person, person_id)
        if person is None or not person.channels:
            add_event(
                session,
                case_id=case.id,
                kind=EventKind.DELIVERY_FAILED,
                at=now,
                message=f"{person_id} 未配置通知渠道，无法通知",
                data={"recipient": person_id, "level": spec.level},
            )
            continue
        queued += queue_alert(
            session,
            case=case,
            obligation=obligation,
            spec=spec,
            person=person,
            channel=person.channels[0],
            ctx=ctx,
            now=now,
            occasion=occasion,
        )
    return queued


def alert_links(
    ctx: EscalationContext, *, case_id: int, obligation: Obligation, person: Person, now: datetime
) -> tuple[tuple[str, str], ...]:
    """The recipient's signed one-click links for this obligation (none without a signer)."""
    if ctx.links is None:
        return ()
    return ctx.links.alert_links(
        case_id=case_id, obligation_key=obligation.key, recipient=person.id, now=now
    )
