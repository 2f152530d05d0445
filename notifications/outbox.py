"""The outbox: notifications are inserted in the same transaction as the lapse that causes them,
each under a unique key (case, obligation, chain and level, recipient, channel), so a retried
sweep finds the row already there and adds nothing. The dispatcher claims a round's rows by moving
them from `pending` to `sending` with compare-and-set and commits that before it sends; a row left
`sending` longer than the lease (its dispatcher died) goes back to `pending`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from models.policy.states import Chain, NotificationStatus
from models.store.tables import Notification


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
    attachment: str | None = None,
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
        attachment=attachment,
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


class Claimed(NamedTuple):
    """What the sender needs of a claimed notification (read in the claiming statement)."""

    id: str
    recipient_id: str
    channel: str
    subject: str
    body: str
    attachment: str | None = None  # a stored report's reference ("report:<id>")


def claim(session: Session, ids: Sequence[str], *, now: datetime) -> list[Claimed]:
    """Move the still-pending ones of `ids` to `sending` (compare-and-set, one statement for the
    whole round), in `ids` order; ids another dispatcher took first are left out."""
    if not ids:
        return []
    claimed = session.execute(
        update(Notification)
        .where(
            col(Notification.id).in_(ids),
            col(Notification.status) == NotificationStatus.PENDING,
        )
        .values(status=NotificationStatus.SENDING, claimed_at=now)
        .returning(
            col(Notification.id),
            col(Notification.recipient_id),
            col(Notification.channel),
            col(Notification.subject),
            col(Notification.body),
            col(Notification.attachment),
        )
        .execution_options(synchronize_session=False)
    ).all()
    by_id = {row[0]: Claimed(*row) for row in claimed}
    return [by_id[i] for i in ids if i in by_id]


def release(session: Session, ids: Sequence[str]) -> None:
    """Hand claimed rows that were not sent back to `pending` (no attempt was made)."""
    if ids:
        session.execute(
            update(Notification)
            .where(
                col(Notification.id).in_(ids),
                col(Notification.status) == NotificationStatus.SENDING,
            )
            .values(status=NotificationStatus.PENDING, claimed_at=None)
            .execution_options(synchronize_session=False)
        )


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
    session: Session, *, channels: Iterable[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], tuple[int, datetime]]:
    """Per (recipient, channel) of `channels`: messages (a merged message counts once) sent
    since `since`, and the earliest of them; pairs with none are left out. One query."""
    pairs = set(channels)
    if not pairs:
        return {}
    query = (
        select(
            Notification.recipient_id,
            Notification.channel,
            func.count(func.distinct(Notification.sent_at)),
            func.min(Notification.sent_at),
        )
        .where(
            col(Notification.recipient_id).in_({recipient for recipient, _ in pairs}),
            Notification.status == NotificationStatus.SENT,
            col(Notification.sent_at) > since,
        )
        .group_by(col(Notification.recipient_id), col(Notification.channel))
    )
    found = {
        (recipient, channel): (int(count), earliest)
        for recipient, channel, count, earliest in session.execute(query).all()
    }
    return {pair: found[pair] for pair in pairs if pair in found}
