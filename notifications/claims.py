"""Claiming the next messages to send, a slice no larger than what is about to be sent: for up to
`lanes` people, each person's next message only (the dispatcher asks for as many as it has
senders for, plus a few next in line), so a crash strands no more than those. Per person, alerts
leave in their stored order (due time, then level, then key): a person whose alert is being sent
(by anyone) is not claimed again until it is recorded, and a merged message carries the leading
alerts of that order on one channel.

Disjoint work between dispatchers: on PostgreSQL the claimer locks the people's rows it picks
(`FOR NO KEY UPDATE SKIP LOCKED`: another claimer skips them, the sweep's inserts are not held
up) and only then checks that none of their alerts is `sending`; on SQLite the transaction
already holds the one writer's lock (its first statement was the claimer's heartbeat).

Channel health decides before anything is sent (`notifications.gates`: a channel that is down is
skipped, or probed when its time comes); the per-person rate limit merges the rest."""

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
from notifications.attachments import load_attachments
from notifications.claimed import Lane, Message, Plan, messages_of
from notifications.gates import route
from notifications.outbox import OUTBOX, N, due_filter, messages_sent_since
from settings import Dispatch

PERSON = Person.__table__  # type: ignore[attr-defined]
P = PERSON.c
O = Obligation.__table__.c  # type: ignore[attr-defined]  # noqa: E741
MINUTE = timedelta(minutes=1)
ORDER = (N.due_at, N.level, N.created_at, N.key)  # the stored sort key of a person's alerts
FALL_THROUGH = 3  # down channels one claim walks past per person before it moves on
CHAIN = 4  # messages claimed for one person at once, sent one after the other by one sender
CLAIMED = (  # what sending and recording need of a claimed row
    N.id,
    N.case_id,
    N.obligation_id,
    N.recipient_id,
    N.channel,
    N.subject,
    N.body,
    N.due_at,
    N.attempts,
    N.http_attempts,
    N.ack_window_seconds,
    N.attachment,
    N.unreachable_since,
    N.rounds,
)


def claim(
    session: Session,
    *,
    me: str,
    now: datetime,
    lanes: int,
    options: Dispatch,
    rule: BreakerRule,
) -> list[list[Message]]:
    """Claim up to `lanes` messages, for as many people (moving alerts off channels that are
    down first), marking their alerts `sending` under `me`: per person, their next messages in
    order (up to CHAIN, one sender sends them one after the other), for as many people as
    there is room."""
    if lanes <= 0:
        return []
    due = _free_people(session, now=now, limit=lanes)
    if not due:
        return []
    recent = messages_sent_since(session, recipients=due, since=now - MINUTE)
    depth = max(_depth(due[p], _budget(recent, p, None, options), options) for p in due)
    people, planned = list(due), list[Plan]()
    for _ in range(FALL_THROUGH):
        if not people:
            break
        loaded = _load(session, due, people, now=now, depth=depth)
        moved = route(session, loaded, me=me, now=now, rule=rule, planned=planned)
        people = [lane.recipient_id for lane in loaded if lane.recipient_id in moved]
    kept = _rate_limit(session, planned, recent, room=lanes, now=now, options=options)
    return _mark(session, kept, me=me, now=now)


def _depth(due: int, budget: int, options: Dispatch) -> int:
    """How many of the person's due alerts a claim may need: a chain of single alerts, or
    one merged message."""
    size = _size(due, budget, options)
    return CHAIN if size == 1 else size


def _budget(
    recent: dict[tuple[str, str], tuple[int, datetime]],
    person: str,
    channel: str | None,
    options: Dispatch,
) -> int:
    """Messages the person may still get this minute on `channel` (None: the busiest one)."""
    used = [n for (p, c), (n, _) in recent.items() if p == person and channel in (None, c)]
    return options.per_recipient_per_minute - max(used, default=0)


def _size(due: int, budget: int, options: Dispatch) -> int:
    """Alerts in the person's next message: one while the minute's budget covers every due
    alert, else enough merged that the budget will (at most `batch_max`); 0: none this
    minute."""
    if due <= budget:
        return 1
    return min(options.batch_max, math.ceil(due / budget)) if budget > 0 else 0


def _free_people(session: Session, *, now: datetime, limit: int) -> dict[str, int]:
    """Up to `limit` people with due alerts (with how many), most overdue first, none of whose
    alerts is being sent; on PostgreSQL locked for this transaction, skipping those another
    claimer holds."""
    counts = {
        person: int(count)
        for person, count in session.execute(
            select(N.recipient_id, func.count())
            .where(due_filter(now))
            .group_by(N.recipient_id)
            .order_by(func.min(N.due_at), N.recipient_id)
            .limit(limit * 3)
        )
    }
    candidates = list(counts)
    if not candidates:
        return {}
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
    return {c: counts[c] for c in [c for c in candidates if c not in busy][:limit]}


def _load(
    session: Session, due: dict[str, int], people: Sequence[str], *, now: datetime, depth: int
) -> list[Lane]:
    """Each person's first `depth` due alerts (enough for their next messages), in order: ids
    and channels only (the claiming statement returns the rest of the rows it takes)."""
    if depth <= CHAIN:
        rows = _heads(session, people, now, depth)
    else:
        rows = sorted(session.execute(_leading(people, now, depth)), key=lambda r: r.rn)
    who = {
        row.id: (row.name, tuple(row.channels))
        for row in session.execute(select(P.id, P.name, P.channels).where(P.id.in_(people)))
    }
    by_person: dict[str, list[Any]] = {}
    for row in rows:
        by_person.setdefault(row.recipient_id, []).append(row)
    return [
        Lane(p, who.get(p, (p, ()))[0], who.get(p, (p, ()))[1], by_person[p], due[p])
        for p in people
        if p in by_person
    ]


def _heads(session: Session, people: Sequence[str], now: datetime, depth: int) -> list[Any]:
    """Each person's first `depth` due alerts, in order: a short index walk per person and
    position (`ix_notification_recipient_order`), then their channels."""
    head = OUTBOX.alias("head")
    nth = [
        select(head.c.id)
        .where(head.c.recipient_id == P.id, due_filter(now, head.c))
        .order_by(*[head.c[c.name] for c in ORDER])
        .limit(1)
        .offset(n)
        .correlate(PERSON)
        .scalar_subquery()
        for n in range(max(depth, 1))
    ]
    heads = session.execute(select(P.id, *nth).where(P.id.in_(people))).all()
    ids = [i for row in heads for i in row[1:] if i is not None]
    found = {
        row.id: row
        for row in session.execute(select(N.id, N.recipient_id, N.channel).where(N.id.in_(ids)))
    }
    return [found[i] for row in heads for i in row[1:] if i in found]


def _leading(people: Sequence[str], now: datetime, depth: int) -> Any:
    """Each person's first `depth` due alerts (a merged message), numbered in order."""
    numbered = (
        select(
            N.id,
            N.recipient_id,
            N.channel,
            func.row_number().over(partition_by=N.recipient_id, order_by=ORDER).label("rn"),
        )
        .where(N.recipient_id.in_(people), due_filter(now))
        .subquery()
    )
    return select(numbered).where(numbered.c.rn <= depth)


def _rate_limit(
    session: Session,
    planned: list[Plan],
    recent: dict[tuple[str, str], tuple[int, datetime]],
    *,
    room: int,
    now: datetime,
    options: Dispatch,
) -> list[Plan]:
    """Within each person's per-minute budget one alert per message; beyond it the leading
    alerts merged (up to `batch_max`); with no budget left, none until the minute rolls over.
    Each person gets their next message; what `room` is left goes to chaining each person's
    following single-alert messages (up to CHAIN)."""
    kept: list[Plan] = []
    for plan in planned:
        person, channel = plan.lane.recipient_id, plan.lane.rows[0].channel
        size = _size(plan.lane.due, _budget(recent, person, channel, options), options)
        if plan.probe or size:
            kept.append(replace(plan, messages=(plan.ids[: 1 if plan.probe else size],)))
            continue
        _, earliest = recent.get((person, channel), (0, now))
        session.execute(
            update(OUTBOX)
            .where(N.recipient_id == person, N.channel == channel, due_filter(now))
            .values(next_attempt_at=earliest + MINUTE)
        )
    room -= len(kept)
    for n, plan in enumerate(kept):
        if room <= 0 or plan.probe or len(plan.messages[0]) > 1:
            continue
        budget = _budget(recent, plan.lane.recipient_id, plan.lane.rows[0].channel, options)
        more = plan.ids[1 : min(CHAIN, budget, len(plan.ids), room + 1)]
        kept[n] = replace(plan, messages=(*plan.messages, *((i,) for i in more)))
        room -= len(more)
    return kept


def _mark(session: Session, planned: list[Plan], *, me: str, now: datetime) -> list[list[Message]]:
    """Move the planned alerts to `sending` under `me` (compare-and-set on `pending`), reading
    the claimed rows in the same statement, and whether their obligations were acknowledged
    already; alerts another claimer took first are left out."""
    ids = [i for plan in planned for message in plan.messages for i in message]
    if not ids:
        return []
    rows = {
        row.id: row
        for row in session.execute(
            update(OUTBOX)
            .where(N.id.in_(ids), N.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.SENDING, claimed_by=me, claimed_at=now)
            .returning(*CLAIMED)
            .execution_options(synchronize_session=False)
        )
    }
    obligations = {row.obligation_id for row in rows.values() if row.obligation_id}
    acked: set[int] = set()
    if obligations:
        acked = set(
            session.execute(
                select(O.id).where(O.id.in_(obligations), O.acked_at.is_not(None))
            ).scalars()
        )
    files = load_attachments(session, [row.attachment for row in rows.values()])
    chains = [messages_of(plan, rows, acked, files) for plan in planned]
    return [chain for chain in chains if chain]
