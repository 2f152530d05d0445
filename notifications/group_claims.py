"""Claiming for group channels (a WeCom, DingTalk, Feishu or Lark bot posting into a group chat):
the alerts due on one are sent per event, not per person — one message naming everyone the
event concerns — within the limits of the bot (20 a minute for WeCom and DingTalk, 100 a minute
and 5 a second for Feishu, or the settings'): while what may go now (less a quarter of the limit
kept for the next batch of lapses) covers the events due, one event per message; beyond it,
the events merged as full as a message may be (each still named), in due-time order; with
nothing left, none until the limit frees. Never more is
sent than the platform takes, so nothing is refused for frequency and nothing is dropped.

One message at a time per group channel (a channel with a message in flight is not claimed), a
chain of up to CHAIN messages per claim sent one after the other; on PostgreSQL the channel's
health row is locked for the claim (`SKIP LOCKED`: another dispatcher takes other channels). A
channel that is down moves each person's alerts to their next channel; its probe is one event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session

from models.policy.breaker import BreakerRule, Gate, gate
from models.policy.limits import Budget, reserve_of, split_sizes
from models.policy.states import NotificationStatus
from notifications.claimed import Lane, Message, alert_of
from notifications.endpoints import Endpoints, endpoint_budget
from notifications.gates import hold_until, skip_down_channel
from notifications.health import H, ensure, load, take_probe
from notifications.marking import PERSON, mention_of, take
from notifications.outbox.rows import OUTBOX, N, due_filter
from settings import Dispatch

P = PERSON.c
CHAIN = 4  # messages of one group claimed at once
LOAD = 2000  # due rows read per group and claim (events are a few rows each)
ORDER = (N.due_at, N.level, N.created_at, N.key)


def claim_groups(
    session: Session,
    *,
    me: str,
    now: datetime,
    room: int,
    options: Dispatch,
    rule: BreakerRule,
    endpoints: Endpoints,
    groups: frozenset[str],
) -> list[list[Message]]:
    """Up to `room` group channels' next messages (a chain each)."""
    candidates = _free_groups(session, now=now, limit=room, groups=groups)
    health = load(session, candidates)
    chains: list[list[Message]] = []
    for channel in candidates:
        verdict = gate(health[channel], now=now, me=me, rule=rule)
        if verdict is Gate.SKIP:
            _move_off(session, channel, now=now, hold=hold_until(health[channel], now))
            continue
        probe = verdict is Gate.PROBE
        if probe and not take_probe(session, channel=channel, me=me, now=now, rule=rule):
            continue
        endpoint = endpoints.get(channel)
        allowance = Budget(1) if probe else endpoint_budget(session, endpoint, now=now)
        sizing = (min(options.batch_max, endpoint.most_per_message), reserve_of(endpoint.windows))
        chain = _chain(session, channel, allowance, sizing, me=me, now=now, probe=probe)
        if chain:
            chains.append(chain)
    return chains


def _free_groups(
    session: Session, *, now: datetime, limit: int, groups: frozenset[str]
) -> list[str]:
    """Group channels with due alerts and none in flight, most overdue first; on PostgreSQL
    locked for this claim (skipping those another claimer holds)."""
    due = list(
        session.execute(
            select(N.channel)
            .where(due_filter(now), N.channel.in_(groups))
            .group_by(N.channel)
            .order_by(func.min(N.due_at), N.channel)
            .limit(limit * 2)
        ).scalars()
    )
    if not due:
        return []
    if session.get_bind().dialect.name == "postgresql":
        ensure(session, due)
        due = list(
            session.execute(
                select(H.channel)
                .where(H.channel.in_(due))
                .order_by(H.channel)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
    busy = set(
        session.execute(
            select(N.channel)
            .where(N.channel.in_(due), N.status == NotificationStatus.SENDING)
            .distinct()
        ).scalars()
    )
    return [c for c in due if c not in busy][:limit]


def _chain(
    session: Session,
    channel: str,
    allowance: Budget,
    sizing: tuple[int, int],
    *,
    me: str,
    now: datetime,
    probe: bool,
) -> list[Message]:
    """The channel's next messages, events in order, as many as may go now (a chain)."""
    events, read = _due_events(session, channel, now)
    total = _events_due(session, channel, now, len(events), read)
    most, reserve = sizing
    sizes = [1] if probe else split_sizes(total, allowance, most=most, reserve=reserve)
    if not sizes:
        session.execute(
            update(OUTBOX)
            .where(due_filter(now), N.channel == channel)
            .values(next_attempt_at=allowance.free_at)
        )
        return []
    packs = _packs(list(events.values()), sizes[:CHAIN])
    taken, acked, files = take(session, [i for pack in packs for i in pack], me=me, now=now)
    people = _people(session, {row.recipient_id for row in taken.values()})
    return [
        message
        for pack in packs
        if (message := _message(pack, taken, acked, files, people, channel, probe)) is not None
    ]


def _due_events(session: Session, channel: str, now: datetime) -> tuple[dict[str, list[Any]], int]:
    """The channel's due rows (at most LOAD) by event, in order, and how many were read."""
    rows = session.execute(
        select(N.id, N.key, N.recipient_id)
        .where(due_filter(now), N.channel == channel)
        .order_by(*ORDER)
        .limit(LOAD)
    ).all()
    events: dict[str, list[Any]] = {}
    for row in rows:
        events.setdefault(row.key.rsplit(":", 2)[0], []).append(row)
    return events, len(rows)


def _packs(ordered: list[list[Any]], sizes: list[int]) -> list[list[str]]:
    """The events cut into one pack per message of `sizes`: each pack's row ids."""
    packs = []
    for size in sizes:
        pack, ordered = ordered[:size], ordered[size:]
        if pack:
            packs.append([row.id for event in pack for row in event])
    return packs


def _events_due(session: Session, channel: str, now: datetime, events: int, rows: int) -> int:
    """Events due on the channel: those read, scaled up when there were more rows than read."""
    if rows < LOAD:
        return events
    total = session.execute(
        select(func.count()).where(due_filter(now), N.channel == channel)
    ).scalar_one()
    return max(events, round(events * int(total) / max(1, rows)))


def _people(session: Session, ids: set[str]) -> dict[str, Any]:
    return {row.id: row for row in session.execute(select(PERSON).where(P.id.in_(ids)))}


def _message(
    pack: Sequence[str],
    taken: dict[str, Any],
    acked: set[int],
    files: dict[str, Any],
    people: dict[str, Any],
    channel: str,
    probe: bool,
) -> Message | None:
    alerts = []
    for i in pack:
        if i in taken:
            person = people.get(taken[i].recipient_id)
            name = person.name if person is not None else taken[i].recipient_id
            channels = tuple(person.channels) if person is not None else ()
            alerts.append(alert_of(taken[i], acked, name=name, channels=channels))
    if not alerts:
        return None
    named = list(dict.fromkeys(a.recipient_id for a in alerts))
    mentions = tuple(mention_of(people[p]) for p in named if p in people)
    return Message(
        recipient_id=alerts[0].recipient_id,
        recipient_name="、".join(dict.fromkeys(a.recipient_name for a in alerts)),
        channels=alerts[0].channels,
        channel=channel,
        alerts=tuple(alerts),
        probe=probe,
        files=tuple(files[a.attachment] for a in alerts if a.attachment in files),
        group=True,
        mentions=mentions,
    )


def _move_off(session: Session, channel: str, *, now: datetime, hold: datetime) -> None:
    """The channel is down: each person's alerts on it go to their next channel."""
    people = session.execute(
        select(PERSON).where(
            P.id.in_(
                select(N.recipient_id)
                .where(N.channel == channel, N.status == NotificationStatus.PENDING)
                .distinct()
            )
        )
    ).all()
    for person in people:
        lane = Lane(person.id, person.name, tuple(person.channels), [], 0)
        skip_down_channel(session, lane, channel, now=now, hold=hold)
