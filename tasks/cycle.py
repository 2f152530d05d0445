"""One escalation cycle as plain functions (no Prefect): sweep the no-completion chain batch by
batch, then the no-acknowledgement chain, then dispatch the outbox (one dispatch round, or, in
the serve process, a kick to its dispatch service, which sends on its own); and `next_wake`,
the earliest moment anything in the database becomes due, which the serve process sleeps until.
The sweep flow's tasks and the serve process's wake-up loop both call these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models.policy.states import NotificationStatus, ObligationStatus
from models.repo.escalation import escalate_due, escalate_unacked
from models.store.db import session_scope
from models.store.tables import Dispatcher, Notification, Obligation
from notifications.context import EscalationContext, build_context
from notifications.dispatch import ChannelUrl, dispatch_pending
from notifications.notices import deliver
from notifications.outbox import next_due
from settings import Dispatch
from tasks.runtime import Runtime


def context_for(runtime: Runtime) -> EscalationContext:
    return build_context(runtime.settings, runtime.policy)


def sweep_all(
    engine: Engine, *, now: datetime, ctx: EscalationContext, batch_size: int
) -> dict[str, int]:
    """Escalate everything due by `now`, one transaction per batch (a lapse and the alerts it
    causes commit together), until nothing is left."""
    totals = {"claimed": 0, "levels_fired": 0, "queued": 0, "reminders": 0, "held": 0}
    policy, routing = ctx.policy, ctx.routing
    while True:
        with session_scope(engine) as session:
            sweep = escalate_due(
                session,
                now=now,
                policy=policy,
                routing=routing,
                quiet=ctx.quiet,
                batch_size=batch_size,
            )
            totals["queued"] += deliver(session, sweep.notices, ctx=ctx, now=now)
        for key in ("claimed", "levels_fired", "reminders", "held"):
            totals[key] += getattr(sweep, key)
        if sweep.claimed < batch_size:
            break
    while True:
        with session_scope(engine) as session:
            sweep = escalate_unacked(
                session, now=now, policy=policy, routing=routing, batch_size=batch_size
            )
            totals["queued"] += deliver(session, sweep.notices, ctx=ctx, now=now)
        if sweep.claimed == 0:
            return totals


def run_cycle(
    engine: Engine,
    *,
    now: datetime,
    ctx: EscalationContext,
    channel_url: ChannelUrl,
    batch_size: int = 200,
    options: Dispatch | None = None,
    kick: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Sweep, then dispatch (one round here, or `kick` a dispatcher that runs beside); the
    counts of both."""
    totals = sweep_all(engine, now=now, ctx=ctx, batch_size=batch_size)
    if kick is not None:
        kick()
        return totals
    dispatched = dispatch_pending(
        engine, channel_url=channel_url, now=now, options=options, language=ctx.language
    )
    return {
        **totals,
        "sent": dispatched.sent,
        "failed": dispatched.failed,
        "recovered": dispatched.recovered,
        "messages": dispatched.messages,
    }


def next_wake(
    session: Session, *, now: datetime, claimer_timeout: timedelta, sends: bool = True
) -> datetime | None:
    """The earliest due time of an open obligation or an ack window, and (`sends`: when no
    dispatcher runs beside) of a pending send or of the takeover of rows `sending` under a
    claimer that may have stopped (its last beat plus the timeout)."""
    candidates = [
        session.exec(
            select(func.min(Obligation.next_check_at)).where(
                Obligation.status == ObligationStatus.OPEN
            )
        ).one(),
        session.exec(select(func.min(Notification.ack_due_at))).one(),
    ]
    if sends:
        candidates.append(next_due(session, now=now))
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
