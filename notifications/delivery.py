"""Recording what sends did, in a short transaction after them (the dispatcher records a few
dozen sends at a time): every attempt becomes a Delivery row and a timeline entry (送达
evidence); a success starts the alert's ack window; a failure waits (exponential back-off,
Retry-After honoured) or, once the channel has failed `attempts_per_channel` times or cannot
work at all, falls over to the person's next channel. Also the crash recovery of rows left
`sending`, handing back claimed rows that were not sent, and deferring rows the rate limit
holds back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from models.policy.routing import next_channel, retry_delay
from models.policy.states import EventKind, NotificationStatus
from models.repo.cases import add_event
from models.store.tables import CaseEvent, Delivery, Notification, Obligation, Person
from notifications.channels import PERMANENT, SendOutcome
from notifications.outbox import enqueue, new_notification_id, release, stale_sending
from settings import Dispatch


def recover_stale(session: Session, *, now: datetime, lease: timedelta) -> int:
    """Put rows whose dispatcher died mid-send back to `pending`, noting it on the timeline."""
    rows = stale_sending(session, now=now, lease=lease)
    for row in rows:
        row.status, row.claimed_at, row.next_attempt_at = NotificationStatus.PENDING, None, None
        session.add(row)
        add_event(
            session,
            case_id=row.case_id,
            kind=EventKind.SEND_RECOVERED,
            at=now,
            message=f"发送中断（进程退出），以同一通知编号重发：致 {row.recipient_id}"
            f"（{row.channel}）",
            data={"notification": row.id, "recipient": row.recipient_id},
        )
    return len(rows)


def defer(session: Session, ids: Sequence[str], *, until: datetime) -> None:
    if ids:
        session.execute(
            update(Notification)
            .where(col(Notification.id).in_(ids))
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class Attempt:
    """One message a dispatcher claimed: the alerts it carried, in order, and what the channel
    answered; None when it was not sent at all (handed back to `pending`, no attempt counted)."""

    ids: tuple[str, ...]
    outcome: SendOutcome | None


def record_attempts(
    session: Session, attempts: Sequence[Attempt], *, now: datetime, options: Dispatch
) -> None:
    """Record the messages this dispatcher claimed and tried (or handed back unsent)."""
    release(session, [i for a in attempts if a.outcome is None for i in a.ids])
    tried = [i for a in attempts if a.outcome is not None for i in a.ids]
    if not tried:
        return
    query = select(Notification).where(
        col(Notification.id).in_(tried), Notification.status == NotificationStatus.SENDING
    )
    rows = {row.id: row for row in session.exec(query).all()}
    _held = _preload(session, rows.values())  # kept alive: the identity map's refs are weak
    deliveries: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    for attempt in attempts:
        if attempt.outcome is not None:
            batch = len(attempt.ids) > 1
            for notification_id in attempt.ids:
                row = rows.get(notification_id)
                if row is not None:
                    _record(session, row, attempt.outcome, now=now, options=options)
                    deliveries.append(_delivery(row, attempt.outcome, now=now))
                    if row.case_id is not None:  # no case (a monitoring gap): no timeline
                        timeline.append(_timeline(session, row, attempt.outcome, now, batch))
    # Plain multi-row inserts: the evidence rows of a whole group in one statement each.
    session.execute(insert(Delivery), deliveries)
    if timeline:
        session.execute(insert(CaseEvent), timeline)


def _preload(session: Session, rows: Iterable[Notification]) -> list[Person | Obligation]:
    """Load the people and obligations the records look up into the session in two queries,
    so the per-row `session.get` calls find them without a round trip each."""
    rows = list(rows)
    people = {row.recipient_id for row in rows}
    obligations = {row.obligation_id for row in rows if row.obligation_id is not None}
    loaded: list[Person | Obligation] = []
    if people:
        loaded += session.exec(select(Person).where(col(Person.id).in_(people))).all()
    if obligations:
        loaded += session.exec(select(Obligation).where(col(Obligation.id).in_(obligations))).all()
    return loaded


def _record(
    session: Session, row: Notification, outcome: SendOutcome, *, now: datetime, options: Dispatch
) -> None:
    row.attempts += 1
    row.claimed_at = None
    if outcome.ok:
        _sent(session, row, now=now)
    else:
        _failed(session, row, outcome, now=now, options=options)
    session.add(row)


def _delivery(row: Notification, outcome: SendOutcome, *, now: datetime) -> dict[str, Any]:
    return {
        "notification_id": row.id,
        "attempt": row.attempts,
        "at": now,
        "channel": row.channel,
        "ok": outcome.ok,
        "detail": f"{outcome.status} {outcome.detail}".strip(),
    }


def _sent(session: Session, row: Notification, *, now: datetime) -> None:
    row.status, row.sent_at, row.last_error = NotificationStatus.SENT, now, None
    obligation = session.get(Obligation, row.obligation_id) if row.obligation_id else None
    if (
        row.ack_window_seconds is not None
        and obligation is not None
        and obligation.acked_at is None
    ):
        row.ack_due_at = now + timedelta(seconds=row.ack_window_seconds)


def _failed(
    session: Session, row: Notification, outcome: SendOutcome, *, now: datetime, options: Dispatch
) -> None:
    row.last_error = f"{outcome.status}: {outcome.detail}"
    if outcome.status not in PERMANENT and row.attempts < options.attempts_per_channel:
        row.status = NotificationStatus.PENDING
        row.next_attempt_at = now + retry_delay(
            row.attempts,
            base=timedelta(seconds=options.retry_base_seconds),
            cap=timedelta(seconds=options.retry_cap_seconds),
            retry_after=outcome.retry_after,
        )
        return
    row.status = NotificationStatus.FAILED
    _fall_over(session, row, now=now)


def _fall_over(session: Session, row: Notification, *, now: datetime) -> None:
    person = session.get(Person, row.recipient_id)
    following = next_channel(person.channels if person else [], row.channel)
    if following is None:
        add_event(
            session,
            case_id=row.case_id,
            kind=EventKind.DELIVERY_FAILED,
            at=now,
            message=f"致 {row.recipient_id} 的所有渠道均发送失败，请人工联系",
            data={"notification": row.id, "recipient": row.recipient_id, "exhausted": True},
        )
        return
    new_id = new_notification_id()
    enqueue(
        session,
        case_id=row.case_id,
        obligation_id=row.obligation_id,
        level=row.level,
        chain=row.chain,
        recipient_id=row.recipient_id,
        channel=following,
        subject=row.subject,
        body=row.body.replace(row.id, new_id),
        notification_id=new_id,
        ack_window_seconds=row.ack_window_seconds,
        at=now,
        attachment=row.attachment,
    )
    add_event(
        session,
        case_id=row.case_id,
        kind=EventKind.CHANNEL_FAILOVER,
        at=now,
        message=f"渠道 {row.channel} 多次失败，改用 {following} 通知 {row.recipient_id}",
        data={"notification": row.id, "replacement": new_id, "channel": following},
    )


def _timeline(
    session: Session, row: Notification, outcome: SendOutcome, now: datetime, batch: bool
) -> dict[str, Any]:
    """The DELIVERED / DELIVERY_FAILED timeline entry of one attempt (送达 evidence)."""
    person = session.get(Person, row.recipient_id)
    name = person.name if person else row.recipient_id
    verdict = "已送达" if outcome.ok else f"发送失败（{outcome.status}）"
    merged = "（合并发送）" if batch else ""
    return {
        "case_id": row.case_id,
        "at": now,
        "kind": EventKind.DELIVERED if outcome.ok else EventKind.DELIVERY_FAILED,
        "actor": "system",
        "message": f"{verdict}：致 {name}（{row.channel}），第{row.attempts}次尝试{merged}",
        "data": {
            "notification": row.id,
            "recipient": row.recipient_id,
            "channel": row.channel,
            "attempt": row.attempts,
            "status": outcome.status,
            "subject": row.subject,
            "merged": batch,
        },
    }
