"""The escalation runbook, written once: sweep, then send. Every way yuqing escalates runs it —
serve's wake-up loop at each due time, the `sweep` flow (the backstop schedule, `yuqing sweep`,
a re-run) and the pool's `escalate` runs — and only the sending differs: serve kicks its
dispatch service, which sends on its own threads or processes (`kicking`); a flow or a test
sends one dispatch round itself (`dispatching`).

1. The no-completion chain, batch by batch, each batch one transaction: the lapses and
   reminders due by now, their timeline entries and accountability records, and the alerts they
   cause in the outbox (`models.repo.lapses`).
2. The no-acknowledgement chain, likewise (`models.repo.unacked`).
3. Tell the office roles and the duty officer about each person none of whose channels delivers
   any more, and about each one reached again (`models.repo.unreachable`), and note the sweep
   (`yuqing status` shows when it last ran).
4. Send.

`next_due` is the earliest moment anything in the database becomes due, which the wake-up loop
sleeps until and an escalation run waits for. Plain functions (no Prefect): `tasks.sweep` wraps
them as tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models.policy.states import NotificationStatus, ObligationStatus
from models.repo.lapses import escalate_due
from models.repo.lastrun import note_run
from models.repo.unacked import follow_up_unacked
from models.repo.unreachable import Telling, pending_telling, tell
from models.store.db import session_scope
from models.store.tables import Dispatcher, Notification, Obligation
from notifications.dispatch import ChannelUrl, dispatch_pending
from notifications.notices import deliver
from notifications.outbox.context import DeliveryContext
from notifications.outbox.rows import next_due as next_send
from settings import Dispatch

Send = Callable[[datetime], dict[str, int]]


def escalate(
    engine: Engine, *, now: datetime, ctx: DeliveryContext, send: Send, batch_size: int = 200
) -> dict[str, int]:
    """The runbook: sweep everything due by `now`, then send; the counts of both."""
    totals = sweep(engine, now=now, ctx=ctx, batch_size=batch_size)
    return {**totals, **send(now)}


def sweep(
    engine: Engine, *, now: datetime, ctx: DeliveryContext, batch_size: int
) -> dict[str, int]:
    """Escalate everything due by `now`, one transaction per batch (a lapse and the alerts it
    causes commit together), until nothing is left: the no-completion chain, then the
    no-acknowledgement chain."""
    totals = {"claimed": 0, "levels_fired": 0, "queued": 0, "reminders": 0, "held": 0, "told": 0}
    while True:
        with session_scope(engine) as session:
            lapsed = escalate_due(
                session,
                now=now,
                policy=ctx.policy,
                routing=ctx.routing,
                quiet=ctx.quiet,
                batch_size=batch_size,
            )
            totals["queued"] += deliver(session, lapsed.notices, ctx=ctx, now=now)
        for key in ("claimed", "levels_fired", "reminders", "held"):
            totals[key] += getattr(lapsed, key)
        if lapsed.claimed < batch_size:
            break
    while True:
        with session_scope(engine) as session:
            unacked = follow_up_unacked(
                session, now=now, policy=ctx.policy, routing=ctx.routing, batch_size=batch_size
            )
            totals["queued"] += deliver(session, unacked.notices, ctx=ctx, now=now)
        if unacked.claimed == 0:
            break
    with session_scope(engine) as session:
        telling = Telling(ctx.unreachable_roles, ctx.routing, ctx.give_up_after, ctx.tz)
        told = tell(session, now=now, telling=telling)
        totals["queued"] += deliver(session, told, ctx=ctx, now=now)
        totals["told"] = len(told)
        note_run(session, "sweep", at=now, detail=totals)
    return totals


def kicking(kick: Callable[[], None]) -> Send:
    """Sending by serve's dispatch service: kick it; it sends on its own."""

    def send(_now: datetime) -> dict[str, int]:
        kick()
        return {}

    return send


def dispatching(
    engine: Engine,
    *,
    channel_url: ChannelUrl,
    options: Dispatch | None = None,
    language: str = "zh",
) -> Send:
    """Sending here: one dispatch round of everything due (beside any running dispatcher:
    claims are disjoint); failures stay in the outbox for a later round."""

    def send(now: datetime) -> dict[str, int]:
        result = dispatch_pending(
            engine, channel_url=channel_url, now=now, options=options, language=language
        )
        return {
            "sent": result.sent,
            "failed": result.failed,
            "recovered": result.recovered,
            "messages": result.messages,
            "attempts": result.attempts,
        }

    return send


def next_due(
    session: Session, *, now: datetime, claimer_timeout: timedelta, sends: bool = True
) -> datetime | None:
    """The earliest due time of an open obligation, an ack window or an unreachable person not
    yet told of, and (`sends`: when no dispatcher runs beside) of a pending send or of the
    takeover of rows `sending` under a claimer that may have stopped (its last beat plus the
    timeout)."""
    candidates = [
        session.exec(
            select(func.min(Obligation.next_check_at)).where(
                Obligation.status == ObligationStatus.OPEN
            )
        ).one(),
        session.exec(select(func.min(Notification.ack_due_at))).one(),
        pending_telling(session),
    ]
    if sends:
        candidates.append(next_send(session, now=now))
        claimed = session.exec(
            select(func.min(func.coalesce(Dispatcher.beat_at, now - claimer_timeout)))
            .select_from(Notification)
            .join(
                Dispatcher,
                col(Dispatcher.id) == col(Notification.claimed_by),
                isouter=True,
            )
            .where(col(Notification.status) == NotificationStatus.SENDING)
        ).one()
        if claimed is not None:
            candidates.append(claimed + claimer_timeout)
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
