"""Claiming the next messages to send, a slice no larger than what is about to be sent: first the
group channels' next messages (`notifications.group_claims`: one message per event naming
everyone it concerns, within the endpoint's limits), then, for up to the `lanes` left, each
person's next message on their personal channels (the dispatcher asks for as many as it has
senders for, plus a few next in line), so a crash strands no more than those. Per person, alerts
leave in their stored order (due time, then level, then key): a person whose alert is being sent
(by anyone) is not claimed again until it is recorded, and a merged message carries the leading
alerts of that order on one channel.

Disjoint work between dispatchers: on PostgreSQL the claimer locks the people's rows it picks
(`FOR NO KEY UPDATE SKIP LOCKED`: another claimer skips them, the sweep's inserts are not held
up) and only then checks that none of their alerts is `sending`; on SQLite the transaction
already holds the one writer's lock (its first statement was the claimer's heartbeat).

Channel health decides before anything is sent (`notifications.gates`: a channel that is down is
skipped, or probed when its time comes); the limits merge the rest (`notifications.allowances`:
per person and channel, per phone for SMS, and the endpoint's own where it is shared)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, true, update
from sqlmodel import Session

from models.policy.breaker import BreakerRule
from models.policy.limits import split_sizes
from models.policy.states import NotificationStatus
from notifications.allowances import Allowances
from notifications.claimed import Lane, Message, Plan
from notifications.endpoints import Endpoints
from notifications.gates import route
from notifications.group_claims import claim_groups
from notifications.marking import PERSON, mark, mention_of
from notifications.outbox.rows import OUTBOX, N, due_filter
from settings import Dispatch

P = PERSON.c
ORDER = (N.due_at, N.level, N.created_at, N.key)  # the stored sort key of a person's alerts
FALL_THROUGH = 3  # down channels one claim walks past per person before it moves on
CHAIN = 4  # messages claimed for one person at once, sent one after the other by one sender


def claim(
    session: Session,
    *,
    me: str,
    now: datetime,
    lanes: int,
    options: Dispatch,
    rule: BreakerRule,
    endpoints: Endpoints | None = None,
) -> list[list[Message]]:
    """Claim up to `lanes` chains of messages, marking their alerts `sending` under `me`: the
    group channels' first, then per person their next messages in order (up to CHAIN, one
    sender sends them one after the other), for as many people as there is room."""
    if lanes <= 0:
        return []
    endpoints = endpoints or Endpoints(lambda _channel: None, options)
    groups = endpoints.groups(session)
    chains = []
    if groups:
        chains = claim_groups(
            session, me=me, now=now, room=lanes, options=options, rule=rule,
            endpoints=endpoints, groups=groups,
        )  # fmt: skip
    room = lanes - len(chains)
    if room <= 0:
        return chains
    planned = _plan_people(
        session, me=me, now=now, room=room, rule=rule, groups=groups, options=options,
        endpoints=endpoints,
    )  # fmt: skip
    if planned is None:
        return chains
    kept = _rate_limit(session, planned[0], planned[1], room=room, now=now, options=options)
    return chains + mark(session, kept, me=me, now=now)


def _plan_people(
    session: Session,
    *,
    me: str,
    now: datetime,
    room: int,
    rule: BreakerRule,
    groups: frozenset[str],
    options: Dispatch,
    endpoints: Endpoints,
) -> tuple[list[Plan], Allowances] | None:
    """Each free person's next messages on their personal channels, moving alerts off
    channels that are down (up to FALL_THROUGH of them); None when nobody is due."""
    personal = N.channel.not_in(groups) if groups else true()
    due = _free_people(session, now=now, limit=room, personal=personal)
    if not due:
        return None
    allowances = Allowances(session, list(due), now=now, options=options, endpoints=endpoints)
    who = _people(session, list(due))
    depth = max(_depth(due[p], allowances.least(p, who[p][1]), options) for p in due)
    people, planned = list(due), list[Plan]()
    for _ in range(FALL_THROUGH):
        if not people:
            break
        loaded = _load(session, due, people, who, now=now, depth=depth, groups=groups)
        moved = route(session, loaded, me=me, now=now, rule=rule, planned=planned)
        people = [lane.recipient_id for lane in loaded if lane.recipient_id in moved]
    return planned, allowances


def _depth(due: int, allowance: int, options: Dispatch) -> int:
    """How many of the person's due alerts a claim may need: a chain of single alerts, or
    one merged message (as full as a message may be)."""
    if due <= allowance:
        return CHAIN
    return min(options.batch_max, due) if allowance > 0 else 0


def _free_people(session: Session, *, now: datetime, limit: int, personal: Any) -> dict[str, int]:
    """Up to `limit` people with due alerts on personal channels (with how many), most overdue
    first, none of whose alerts is being sent; on PostgreSQL locked for this transaction,
    skipping those another claimer holds."""
    counts = {
        person: int(count)
        for person, count in session.execute(
            select(N.recipient_id, func.count())
            .where(due_filter(now), personal)
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


def _people(session: Session, people: Sequence[str]) -> dict[str, tuple[str, tuple[str, ...], Any]]:
    """Name, channels and who the platforms know them as, per person."""
    found = {
        row.id: (row.name, tuple(row.channels), mention_of(row))
        for row in session.execute(select(PERSON).where(P.id.in_(people)))
    }
    return {p: found.get(p, (p, (), None)) for p in people}


def _load(
    session: Session,
    due: dict[str, int],
    people: Sequence[str],
    who: dict[str, tuple[str, tuple[str, ...], Any]],
    *,
    now: datetime,
    depth: int,
    groups: frozenset[str],
) -> list[Lane]:
    """Each person's first `depth` due alerts on personal channels (enough for their next
    messages), in order: ids and channels only (the claiming statement returns the rest)."""
    if depth <= CHAIN:
        rows = _heads(session, people, now, depth, groups)
    else:
        rows = sorted(session.execute(_leading(people, now, depth, groups)), key=lambda r: r.rn)
    by_person: dict[str, list[Any]] = {}
    for row in rows:
        by_person.setdefault(row.recipient_id, []).append(row)
    return [
        Lane(p, who[p][0], who[p][1], by_person[p], due[p], mention=who[p][2])
        for p in people
        if p in by_person
    ]


def _heads(
    session: Session, people: Sequence[str], now: datetime, depth: int, groups: frozenset[str]
) -> list[Any]:
    """Each person's first `depth` due alerts, in order: a short index walk per person and
    position (`ix_notification_recipient_order`), then their channels."""
    head = OUTBOX.alias("head")
    personal = head.c.channel.not_in(groups) if groups else true()
    nth = [
        select(head.c.id)
        .where(head.c.recipient_id == P.id, due_filter(now, head.c), personal)
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


def _leading(people: Sequence[str], now: datetime, depth: int, groups: frozenset[str]) -> Any:
    """Each person's first `depth` due alerts (a merged message), numbered in order."""
    personal = N.channel.not_in(groups) if groups else true()
    numbered = (
        select(
            N.id,
            N.recipient_id,
            N.channel,
            func.row_number().over(partition_by=N.recipient_id, order_by=ORDER).label("rn"),
        )
        .where(N.recipient_id.in_(people), due_filter(now), personal)
        .subquery()
    )
    return select(numbered).where(numbered.c.rn <= depth)


def _rate_limit(
    session: Session,
    planned: list[Plan],
    allowances: Allowances,
    *,
    room: int,
    now: datetime,
    options: Dispatch,
) -> list[Plan]:
    """Within what the person's limits leave one alert per message; beyond it the leading
    alerts merged (up to `batch_max`); with nothing left, none until the limits free. Each
    person gets their next message; what `room` is left goes to chaining each person's
    following single-alert messages (up to CHAIN)."""
    kept: list[Plan] = []
    for plan in planned:
        person, channel = plan.lane.recipient_id, plan.lane.rows[0].channel
        allowance = allowances.of(person, channel)
        sizes = split_sizes(plan.lane.due, allowance, most=options.batch_max)
        if plan.probe or sizes:
            kept.append(replace(plan, messages=(plan.ids[: 1 if plan.probe else sizes[0]],)))
            continue
        session.execute(
            update(OUTBOX)
            .where(N.recipient_id == person, N.channel == channel, due_filter(now))
            .values(next_attempt_at=allowance.free_at or allowances.retry_at(now))
        )
    room -= len(kept)
    for n, plan in enumerate(kept):
        if room <= 0 or plan.probe or len(plan.messages[0]) > 1:
            continue
        left = allowances.of(plan.lane.recipient_id, plan.lane.rows[0].channel).now
        more = plan.ids[1 : min(CHAIN, left, len(plan.ids), room + 1)]
        kept[n] = replace(plan, messages=(*plan.messages, *((i,) for i in more)))
        room -= len(more)
    return kept
