"""The outbox: notifications are inserted in the same transaction as the lapse that causes them,
each under a unique key (case, obligation, chain and level, recipient, channel), so a retried
sweep finds the row already there and adds nothing. The dispatcher claims rows by moving them
from `pending` to `sending` with compare-and-set and commits that before it sends; a row left
`sending` longer than the lease (its dispatcher died) goes back to `pending`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from models.states import Chain, NotificationStatus
from models.tables import Notification


def outbox_key(
    *,
    case_id: int | None,
    obligation_id: int | None,
    occasion: str,
    recipient: str,
    channel: str,
) -> str:
    """What makes a notification unique: one occasion reaches a person's channel once."""
    return f"{case_id or '-'}:{obligation_id or '-'}:{occasion}:{recipient}:{channel}"


def enqueue(
    session: Session,
    *,
    case_id: int | None,
    obligation_id: int | None,
    level: int,
    recipient_id: str,
    channel: str,
    subject: str,
    body: str,
    notification_id: str,
    at: datetime,
    chain: Chain = Chain.NO_COMPLETION,
    ack_window_seconds: int | None = None,
    occasion: str | None = None,
) -> Notification | None:
    """Insert the notification unless its key is already in the outbox; None when it was.

    The key is derived here, from the row's own fields, so it can never disagree with them; the
    occasion is the chain and level unless the caller names another (e.g. a monitoring gap).
    """
    key = outbox_key(
        case_id=case_id,
        obligation_id=obligation_id,
        occasion=occasion or f"{chain.value}{level}",
        recipient=recipient_id,
        channel=channel,
    )
    if session.exec(select(Notification.id).where(Notification.key == key)).first():
        return None
    notification = Notification(
        id=notification_id,
        key=key,
        case_id=case_id,
        obligation_id=obligation_id,
        level=level,
        chain=chain,
        recipient_id=recipient_id,
        channel=channel,
        subject=subject,
        body=body,
        created_at=at,
        ack_window_seconds=ack_window_seconds,
    )
    session.add(notification)
    return notification


def new_notification_id() -> str:
    return str(uuid.uuid4())


def due_pending(session: Session, *, now: datetime, limit: int) -> Sequence[tuple[str, str, str]]:
    """(id, recipient, channel) of pending notifications due to be (re)tried, oldest first."""
    query = (
        select(Notification.id, Notification.recipient_id, Notification.channel)
        .where(
            Notification.status == NotificationStatus.PENDING,
            or_(
                col(Notification.next_attempt_at).is_(None),
                col(Notification.next_attempt_at) <= now,
            ),
        )
        .order_by(col(Notification.created_at), col(Notification.id))
        .limit(limit)
    )
    return session.exec(query).all()


def claim(session: Session, ids: Sequence[str], *, now: datetime) -> list[Notification]:
    """Move the still-pending ones of `ids` to `sending` (compare-and-set), in `ids` order."""
    claimed = set(
        session.execute(
            update(Notification)
            .where(
                col(Notification.id).in_(ids),
                col(Notification.status) == NotificationStatus.PENDING,
            )
            .values(status=NotificationStatus.SENDING, claimed_at=now)
            .returning(col(Notification.id))
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    if not claimed:
        return []
    rows = session.exec(select(Notification).where(col(Notification.id).in_(claimed))).all()
    for row in rows:
        session.refresh(row)
    order = {notification_id: n for n, notification_id in enumerate(ids)}
    return sorted(rows, key=lambda row: order[row.id])


def stale_sending(session: Session, *, now: datetime, lease: timedelta) -> Sequence[Notification]:
    """Rows left `sending` for longer than `lease`: their dispatcher crashed mid-send."""
    query = (
        select(Notification)
        .where(
            Notification.status == NotificationStatus.SENDING,
            col(Notification.claimed_at) < now - lease,
        )
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def messages_sent_since(
    session: Session, *, recipient_id: str, channel: str, since: datetime
) -> tuple[int, datetime | None]:
    """Messages (a merged message counts once) sent to a person's channel since `since`, and
    the earliest of them."""
    query = select(
        func.count(func.distinct(Notification.sent_at)), func.min(Notification.sent_at)
    ).where(
        Notification.recipient_id == recipient_id,
        Notification.channel == channel,
        Notification.status == NotificationStatus.SENT,
        col(Notification.sent_at) > since,
    )
    count, earliest = session.execute(query).one()
    return int(count), earliest
