"""The dispatcher: send what the outbox holds through Apprise, one notification per short
transaction, and record every attempt (送达 evidence) on the notification and the case timeline.
A notification keeps its id across attempts, so a receiver can drop a repeat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from models.cases import add_event
from models.db import session_scope
from models.states import EventKind, NotificationStatus
from models.tables import Delivery, Person
from notifications.channels import SendOutcome, send
from notifications.outbox import MAX_ATTEMPTS, claim, pending_ids

ChannelUrl = Callable[[str], str | None]


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    failed: int


def dispatch_pending(
    engine: Engine, *, channel_url: ChannelUrl, now: datetime, limit: int = 500
) -> DispatchResult:
    """Send up to `limit` pending notifications; returns how many went out and how many failed."""
    with session_scope(engine) as session:
        ids = list(pending_ids(session, limit=limit))
    sent = failed = 0
    for notification_id in ids:
        outcome = _dispatch_one(engine, notification_id, channel_url=channel_url, now=now)
        if outcome is not None:
            sent += outcome.ok
            failed += not outcome.ok
    return DispatchResult(sent=sent, failed=failed)


def _dispatch_one(
    engine: Engine, notification_id: str, *, channel_url: ChannelUrl, now: datetime
) -> SendOutcome | None:
    with session_scope(engine) as session:
        notification = claim(session, notification_id)
        if notification is None:
            return None
        url = channel_url(notification.channel)
        if url is None:
            outcome = SendOutcome(False, "NO_URL", f"渠道 {notification.channel} 未配置地址")
        else:
            outcome = send(url, title=notification.subject, body=notification.body)
        notification.attempts += 1
        if outcome.ok:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
        elif notification.attempts >= MAX_ATTEMPTS or outcome.status in ("NO_URL", "INVALID_URL"):
            notification.status = NotificationStatus.FAILED
        notification.last_error = None if outcome.ok else f"{outcome.status}: {outcome.detail}"
        session.add(notification)
        session.add(
            Delivery(
                notification_id=notification.id,
                attempt=notification.attempts,
                at=now,
                channel=notification.channel,
                ok=outcome.ok,
                detail=f"{outcome.status} {outcome.detail}".strip(),
            )
        )
        person = session.get(Person, notification.recipient_id)
        name = person.name if person else notification.recipient_id
        verdict = "已送达" if outcome.ok else f"发送失败（{outcome.status}）"
        add_event(
            session,
            case_id=notification.case_id,
            kind=EventKind.DELIVERED if outcome.ok else EventKind.DELIVERY_FAILED,
            at=now,
            message=f"{verdict}：致 {name}（{notification.channel}），"
            f"第{notification.attempts}次尝试",
            data={
                "notification": notification.id,
                "recipient": notification.recipient_id,
                "channel": notification.channel,
                "attempt": notification.attempts,
                "status": outcome.status,
                "subject": notification.subject,
            },
        )
        return outcome
