"""Claiming the next messages to send, a slice no larger than what is about to be sent: for up
to `lanes` people, each person's next message only, so a crash strands no more than the sends
in flight. Per person, alerts leave in their stored order (due time, then level, then key):
a person whose alert is being sent (by anyone) is not claimed again until it is recorded, and
a merged message carries the leading alerts of that order on one channel.

Disjoint work between dispatchers: on PostgreSQL the claimer locks the people's rows it picks
(`FOR NO KEY UPDATE SKIP LOCKED`: another claimer skips them, the sweep's inserts are not held
up) and only then checks that none of their alerts is `sending`; on SQLite the transaction
already holds the one writer's lock (its first statement was the claimer's heartbeat).

Channel health decides before anything is sent (`notifications.gates`: a channel that is down
is skipped, or probed when its time comes); the per-person rate limit merges the rest."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlmodel import Session

from models.policy.breaker import BreakerRule
from models.policy.states import NotificationStatus
from models.store.tables import Obligation, Person
from notifications.claimed import Lane, Message
from notifications.gates import route
from notifications.outbox import OUTBOX, N, due_filter, messages_sent_since
from settings import Dispatch

P = Person.__table__.c  # type: ignore[attr-defined]
O = Obligation.__table__.c  # type: ignore[attr-defined]  # noqa: E741
MINUTE = timedelta(minutes=1)
ORDER = (N.due_at, N.level, N.created_at, N.key)  # the stored sort key of a person's alerts
FALL_THROUGH = 3  # down channels one claim walks past per person before it moves on


def claim(
    session: Session,
    *,
    me: str,
    now: datetime,
    lanes: int,
    options: Dispatch,
    rule: BreakerRule,
) -> list[Message]:
    """Claim the next message of up to `lanes` people (moving alerts off channels that are
    down first), marking their alerts `sending` under `me`."""
    if lanes <= 0:
        return []
    people = _free_people(session, now=now, limit=lanes)
    planned: list[Message] = []
    for _ in range(FALL_THROUGH):
        if not people:
            break
        loaded = _load(session, people, now=now, options=options)
        moved = route(session, loaded, me=me, now=now, rule=rule, planned=planned)
        people = [lane.recipient_id for lane in loaded if lane.recipient_id in moved]
    messages = _rate_limit(session, planned, now=now, options=options)
    return _mark(session, messages, me=me, now=now)


def _free_people(session: Session, *, now: datetime, limit: int) -> list[str]:
    """Up to `limit` people with due alerts, most overdue first, none of whose alerts is being
    sent; on PostgreSQL locked for this transaction, skipping those another claimer holds."""
    candidates = [
        row[0]
        for row in session.execute(
            select(N.recipient_id)
            .where(due_filter(now))
            .group_by(N.recipient_id)
            .order_by(func.min(N.due_at), N.recipient_id)
            .limit(limit * 3)
        )
    ]
    if not candidates:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sending = select(N.recipient_id).where(N.status == NotificationStatus.SENDING)
        candidates = list(
            session.execute(
                select(P.id)
                .where(P.id.in_(candidates), P.id.not_in(sending))
                .order_by(case({c: n for n, c in enumerate(candidates)}, value=P.id))
                .limit(limit)
                .with_for_update(skip_locked=True, key_share=True)
            ).scalars()
        )
    # Checked again once locked (PostgreSQL: a claim committed since the statement above began
    # is seen now; SQLite: this transaction is the one writer).
    busy = set(
        session.execute(
            select(N.recipient_id)
            .where(N.recipient_id.in_(candidates), N.status == NotificationStatus.SENDING)
            .distinct()
        ).scalars()
    )
    return [c for c in candidates if c not in busy][:limit]


def _load(
    session: Session, people: Sequence[str], *, now: datetime, options: Dispatch
) -> list[Lane]:
    """Each person's first due alerts (enough for one merged message), in order."""
    numbered = (
        select(
            OUTBOX,
            func.row_number().over(partition_by=N.recipient_id, order_by=ORDER).label("rn"),
            func.count().over(partition_by=N.recipient_id).label("due"),
        )
        .where(N.recipient_id.in_(people), due_filter(now))
        .subquery()
    )
    rows = session.execute(
        select(numbered).where(numbered.c.rn <= options.batch_max).order_by(numbered.c.rn)
    ).all()
    who = {
        row.id: (row.name, tuple(row.channels))
        for row in session.execute(select(P.id, P.name, P.channels).where(P.id.in_(people)))
    }
    by_person: dict[str, list[Any]] = {}
    for row in rows:
        by_person.setdefault(row.recipient_id, []).append(row)
    return [
        Lane(p, who.get(p, (p, ()))[0], who.get(p, (p, ()))[1], by_person[p], by_person[p][0].due)
        for p in people
        if p in by_person
    ]


def _rate_limit(
    session: Session, planned: list[Message], *, now: datetime, options: Dispatch
) -> list[Message]:
    """Within each person's per-minute budget one alert per message; beyond it the leading
    alerts merged (up to `batch_max`); with no budget left, none until the minute rolls over."""
    recent = messages_sent_since(
        session, channels={(m.recipient_id, m.channel) for m in planned}, since=now - MINUTE
    )
    messages = []
    for message in planned:
        used, earliest = recent.get((message.recipient_id, message.channel), (0, now))
        budget = options.per_recipient_per_minute - used
        if message.probe or message.waiting <= budget:
            messages.append(replace(message, alerts=message.alerts[:1]))
        elif budget > 0:
            size = min(options.batch_max, math.ceil(message.waiting / budget))
            messages.append(replace(message, alerts=message.alerts[:size]))
        else:
            session.execute(
                update(OUTBOX)
                .where(
                    N.recipient_id == message.recipient_id,
                    N.channel == message.channel,
                    due_filter(now),
                )
                .values(next_attempt_at=earliest + MINUTE)
            )
    return messages


def _mark(session: Session, messages: list[Message], *, me: str, now: datetime) -> list[Message]:
    """Move the messages' alerts to `sending` under `me` (compare-and-set on `pending`), with
    whether their obligations were acknowledged already; a message whose alerts another
    claimer took first is dropped."""
    ids = [a.id for m in messages for a in m.alerts]
    if not ids:
        return []
    taken = set(
        session.execute(
            update(OUTBOX)
            .where(N.id.in_(ids), N.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.SENDING, claimed_by=me, claimed_at=now)
            .returning(N.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    obligations = {a.obligation_id for m in messages for a in m.alerts if a.obligation_id}
    acked = set()
    if obligations:
        acked = set(
            session.execute(
                select(O.id).where(O.id.in_(obligations), O.acked_at.is_not(None))
            ).scalars()
        )
    kept = []
    for message in messages:
        alerts = tuple(
            replace(a, acked=a.obligation_id in acked) for a in message.alerts if a.id in taken
        )
        if alerts:
            kept.append(replace(message, alerts=alerts))
    return kept
