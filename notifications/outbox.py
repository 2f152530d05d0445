"""The outbox: notifications are inserted in the same transaction as the lapse that causes them,
each under a unique key (case, obligation, level, recipient, channel), so a retried sweep finds
the row already there and adds nothing; the dispatcher later claims and sends them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from models.states import NotificationStatus
from models.tables import Notification

MAX_ATTEMPTS = 5  # dispatch rounds before a notification is marked failed


def outbox_key(
    *, case_id: int, obligation_id: int | None, level: int, recipient: str, channel: str
) -> str:
    return f"{case_id}:{obligation_id or '-'}:{level}:{recipient}:{channel}"


def enqueue(
    session: Session,
    *,
    key: str,
    case_id: int,
    obligation_id: int | None,
    level: int,
    recipient_id: str,
    channel: str,
    subject: str,
    body: str,
    notification_id: str,
    at: datetime,
) -> Notification | None:
    """Insert the notification unless its key is already in the outbox; None when it was."""
    if session.exec(select(Notification.id).where(Notification.key == key)).first():
        return None
    notification = Notification(
        id=notification_id,
        key=key,
        case_id=case_id,
        obligation_id=obligation_id,
        level=level,
        recipient_id=recipient_id,
        channel=channel,
        subject=subject,
        body=body,
        created_at=at,
    )
    session.add(notification)
    return notification


def new_notification_id() -> str:
    return str(uuid.uuid4())


def pending_ids(session: Session, *, limit: int) -> Sequence[str]:
    query = (
        select(Notification.id)
        .where(Notification.status == NotificationStatus.PENDING)
        .order_by(col(Notification.created_at), col(Notification.id))
        .limit(limit)
    )
    return session.exec(query).all()


def claim(session: Session, notification_id: str) -> Notification | None:
    """Lock one pending notification for sending; None if it is gone, sent or held elsewhere."""
    query = (
        select(Notification)
        .where(
            Notification.id == notification_id, Notification.status == NotificationStatus.PENDING
        )
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).first()
