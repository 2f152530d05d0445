"""The outbox: notifications are inserted in the same transaction as the lapse that causes them,
each under a unique key (case, obligation, chain and level, recipient, channel), so a retried
sweep finds the row already there and adds nothing. Each row stores its sort key (the due time
it is about, then its level), which orders a person's alerts. The dispatchers claim rows
(`notifications.claims`) under their own identity; this module also has the queries around
that: when the next row falls due, and the takeover of rows whose claimer is gone
(`notifications.liveness` says who is)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlmodel import Session

from models.policy.states import Chain, EventKind, NotificationStatus
from models.store.tables import CaseEvent, Notification

OUTBOX = Notification.__table__  # type: ignore[attr-defined]
TIMELINE = CaseEvent.__table__  # type: ignore[attr-defined]
N = OUTBOX.c


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


@dataclass(frozen=True)
class Outgoing:
    """One message to queue: to whom, on which channel, what it says, and what it is about."""

    notification_id: str
    case_id: int | None
    obligation_id: int | None
    level: int
    recipient_id: str
    channel: str
    subject: str
    body: str
    at: datetime
    due_at: datetime  # the stored sort key: the due time the alert is about (else `at`)
    chain: Chain = Chain.NO_COMPLETION
    ack_window_seconds: int | None = None  # None: no no-ack follow-up for this alert
    occasion: str | None = None  # default: the chain and level
    attachment: str | None = None  # a stored report's reference ("report:<id>")
    card: dict[str, Any] | None = None  # its structured form (`notifications.cards`)

    @property
    def key(self) -> str:
        return outbox_key(
            case_id=self.case_id,
            obligation_id=self.obligation_id,
            occasion=self.occasion or f"{self.chain.value}{self.level}",
            recipient=self.recipient_id,
            channel=self.channel,
        )


KEY_CHUNK = 500  # keys per lookup: well under both backends' bound-parameter limits


def enqueue(session: Session, messages: Sequence[Outgoing]) -> list[Outgoing]:
    """Insert each message unless its key is in the outbox already (or earlier in `messages`),
    in one statement; the ones inserted, in order.

    The key is derived from the row's own fields, so it can never disagree with them: a sweep
    or a step carried out twice queues nothing twice."""
    fresh: dict[str, Outgoing] = {}
    for message in messages:
        fresh.setdefault(message.key, message)
    keys = list(fresh)
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        for (known,) in session.execute(select(N.key).where(N.key.in_(chunk))):
            fresh.pop(known, None)
    if fresh:
        session.execute(insert(OUTBOX), [_row(key, m) for key, m in fresh.items()])
    return list(fresh.values())


def _row(key: str, message: Outgoing) -> dict[str, Any]:
    return {
        "id": message.notification_id,
        "key": key,
        "case_id": message.case_id,
        "obligation_id": message.obligation_id,
        "level": message.level,
        "chain": message.chain,
        "recipient_id": message.recipient_id,
        "channel": message.channel,
        "subject": message.subject,
        "body": message.body,
        "created_at": message.at,
        "due_at": message.due_at,
        "ack_window_seconds": message.ack_window_seconds,
        "attachment": message.attachment,
        "card": message.card,
    }


def new_notification_id() -> str:
    return str(uuid.uuid4())


def due_filter(now: datetime, columns: Any = None) -> Any:
    """Pending and due to be (re)tried by `now` (of the outbox, or of an alias's `columns`)."""
    c = N if columns is None else columns
    return (c.status == NotificationStatus.PENDING) & or_(
        c.next_attempt_at.is_(None), c.next_attempt_at <= now
    )


def next_due(session: Session, *, now: datetime) -> datetime | None:
    """When the earliest pending row is due (`now` for those due already); None: none pending."""
    earliest = session.execute(
        select(func.min(func.coalesce(N.next_attempt_at, now))).where(
            N.status == NotificationStatus.PENDING
        )
    ).scalar_one()
    return earliest  # type: ignore[no-any-return]


def take_over(session: Session, *, live: Any, now: datetime, limit: int = 1000) -> int:
    """Put rows `sending` under a claimer not in `live` (a subquery of identities) back to
    `pending`: its process died, or it stopped. Each gets a SEND_RECOVERED timeline entry: the
    send may have happened, so the next one goes out under the same notification id, for the
    receiver to drop."""
    stale = (
        select(N.id)
        .where(
            N.status == NotificationStatus.SENDING,
            N.claimed_by.is_(None) | N.claimed_by.not_in(live),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)  # two dispatchers taking over never wait on each other
    )
    rows = session.execute(
        update(OUTBOX)
        .where(N.id.in_(stale.scalar_subquery()), N.status == NotificationStatus.SENDING)
        .values(
            status=NotificationStatus.PENDING,
            claimed_by=None,
            claimed_at=None,
            next_attempt_at=None,
        )
        .returning(N.id, N.case_id, N.recipient_id, N.channel)
        .execution_options(synchronize_session=False)
    ).all()
    events = [_recovered(row, now) for row in rows if row.case_id is not None]
    if events:
        session.execute(insert(TIMELINE), events)
    return len(rows)


def release_strays(session: Session, *, me: str, holding: set[str]) -> int:
    """Put back to `pending` the rows `sending` under `me` that `me` is not sending: claimed by
    a transaction `me` saw fail although it committed (the database went away during the
    commit). Never sent, so no recovery is recorded; how many."""
    strays = [
        row_id
        for row_id in session.execute(
            select(N.id).where(N.status == NotificationStatus.SENDING, N.claimed_by == me)
        ).scalars()
        if row_id not in holding
    ]
    for start in range(0, len(strays), KEY_CHUNK):
        session.execute(
            update(OUTBOX)
            .where(N.id.in_(strays[start : start + KEY_CHUNK]), N.claimed_by == me)
            .values(status=NotificationStatus.PENDING, claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    return len(strays)


def _recovered(row: Any, now: datetime) -> dict[str, Any]:
    return {
        "case_id": row.case_id,
        "at": now,
        "kind": EventKind.SEND_RECOVERED,
        "actor": "system",
        "message": f"发送中断（发送进程已退出），以同一通知编号重发：致 {row.recipient_id}"
        f"（{row.channel}）",
        "data": {"notification": row.id, "recipient": row.recipient_id, "channel": row.channel},
    }
