"""Claiming the next messages to send, a slice no larger than what is about to be sent: for up
to `lanes` people, each person's next message only, so a crash strands no more than the sends
in flight. Per person, alerts leave in their stored order (due time, then level, then key):
a person whose alert is being sent (by anyone) is not claimed again until it is recorded, and
a merged message carries the leading alerts of that order on one channel.

Disjoint work between dispatchers: on PostgreSQL the claimer locks the people's rows it picks
(`FOR NO KEY UPDATE SKIP LOCKED`: another claimer skips them, the sweep's inserts are not held
up) and only then checks that none of their alerts is `sending`; on SQLite the transaction
already holds the one writer's lock (its first statement was the claimer's heartbeat).

Channel health decides before anything is sent: alerts on a channel that is down go straight
to the person's next channel (same notification id, a CHANNEL_FAILOVER timeline entry), or,
on a person's last channel, wait for the probe; the alert whose turn comes when the down period
ends is sent alone as the probe. The per-person rate limit merges the rest, as before."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlmodel import Session

from models.policy.breaker import BreakerRule, ChannelState, Gate, Health, gate
from models.policy.routing import next_channel
from models.policy.states import EventKind, NotificationStatus
from models.store.tables import Obligation, Person
from notifications.health import load, take_probe
from notifications.outbox import OUTBOX, TIMELINE, N, due_filter, messages_sent_since
from settings import Dispatch

P = Person.__table__.c  # type: ignore[attr-defined]
O = Obligation.__table__.c  # type: ignore[attr-defined]  # noqa: E741
MINUTE = timedelta(minutes=1)
ORDER = (N.due_at, N.level, N.created_at, N.key)  # the stored sort key of a person's alerts
FALL_THROUGH = 3  # down channels one claim walks past per person before it moves on


@dataclass(frozen=True)
class Alert:
    """One claimed alert: what sending it and recording the outcome need."""

    id: str
    case_id: int | None
    obligation_id: int | None
    recipient_id: str
    channel: str
    subject: str
    body: str
    due_at: datetime
    attempts: int  # sends on this channel before this one
    http_attempts: int
    ack_window_seconds: int | None
    acked: bool  # its obligation was acknowledged when claimed


@dataclass(frozen=True)
class Message:
    """One send: a person's next alert, or several merged, on one channel."""

    recipient_id: str
    recipient_name: str
    channels: tuple[str, ...]  # the person's channels, in order of preference
    channel: str
    alerts: tuple[Alert, ...]
    probe: bool = False  # sent as the probe of a channel that was down
    waiting: int = 1  # the person's due alerts when claimed (the rate limit merges beyond)


@dataclass(frozen=True)
class _Lane:
    recipient_id: str
    name: str
    channels: tuple[str, ...]
    rows: list[Any]  # due rows, in order
    due: int  # due rows in all


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
        moved = _route(session, loaded, me=me, now=now, rule=rule, planned=planned)
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
) -> list[_Lane]:
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
        _Lane(p, who.get(p, (p, ()))[0], who.get(p, (p, ()))[1], by_person[p], by_person[p][0].due)
        for p in people
        if p in by_person
    ]


def _route(
    session: Session,
    lanes: list[_Lane],
    *,
    me: str,
    now: datetime,
    rule: BreakerRule,
    planned: list[Message],
) -> set[str]:
    """Plan each lane's message on its first alert's channel, or move the person's alerts off
    that channel if it is down; the people whose alerts moved (to be looked at again)."""
    health = load(session, {lane.rows[0].channel for lane in lanes})
    moved: set[str] = set()
    for lane in lanes:
        channel = lane.rows[0].channel
        verdict = gate(health[channel], now=now, me=me, rule=rule)
        if verdict is Gate.PROBE and take_probe(
            session, channel=channel, me=me, now=now, rule=rule
        ):
            planned.append(_message(lane, lane.rows[:1], probe=True))
            health[channel] = load(session, [channel])[channel]
        elif verdict is Gate.SEND:
            planned.append(_message(lane, _leading_run(lane.rows)))
        elif _skip_down_channel(session, lane, channel, now=now, hold=_hold(health[channel], now)):
            moved.add(lane.recipient_id)
    return moved


def _hold(health: Health, now: datetime) -> datetime:
    """Until when alerts wait on a person's last channel while it is down: its probe time, or
    a second while another alert is its probe."""
    if health.state is ChannelState.DOWN and health.retry_at is not None:
        return max(health.retry_at, now)
    return now + timedelta(seconds=1)


def _leading_run(rows: list[Any]) -> list[Any]:
    """The first alerts in order that share the first one's channel."""
    run = []
    for row in rows:
        if row.channel != rows[0].channel:
            break
        run.append(row)
    return run


def _skip_down_channel(
    session: Session, lane: _Lane, channel: str, *, now: datetime, hold: datetime
) -> bool:
    """Move the person's pending alerts on `channel` (down) to their next channel, same ids;
    on their last channel, hold them until the probe may go. True when they moved."""
    following = next_channel(lane.channels, channel)
    mine = (N.recipient_id == lane.recipient_id) & (N.channel == channel)
    pending = mine & (N.status == NotificationStatus.PENDING)
    if following is None:
        session.execute(
            update(OUTBOX).where(pending, due_filter(hold)).values(next_attempt_at=hold)
        )
        return False
    rows = session.execute(
        update(OUTBOX)
        .where(pending)
        .values(channel=following, attempts=0, next_attempt_at=None)
        .returning(N.id, N.case_id)
        .execution_options(synchronize_session=False)
    ).all()
    events = [
        {
            "case_id": row.case_id,
            "at": now,
            "kind": EventKind.CHANNEL_FAILOVER,
            "actor": "system",
            "message": f"渠道 {channel} 故障（已熔断），直接改用 {following} 通知 {lane.name}"
            "（同一通知编号）",
            "data": {
                "notification": row.id,
                "channel": channel,
                "replacement": following,
                "reason": "channel_down",
            },
        }
        for row in rows
        if row.case_id is not None
    ]
    if events:
        session.execute(insert(TIMELINE), events)
    return bool(rows)


def _message(lane: _Lane, rows: list[Any], *, probe: bool = False) -> Message:
    return Message(
        recipient_id=lane.recipient_id,
        recipient_name=lane.name,
        channels=lane.channels,
        channel=rows[0].channel,
        alerts=tuple(_alert(row) for row in rows),
        probe=probe,
        waiting=lane.due,
    )


def _alert(row: Any) -> Alert:
    return Alert(
        id=row.id,
        case_id=row.case_id,
        obligation_id=row.obligation_id,
        recipient_id=row.recipient_id,
        channel=row.channel,
        subject=row.subject,
        body=row.body,
        due_at=row.due_at,
        attempts=row.attempts,
        http_attempts=row.http_attempts,
        ack_window_seconds=row.ack_window_seconds,
        acked=False,
    )


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
