"""Sweep and dispatch tasks: queue escalations for lapsed deadlines and unacknowledged alerts
(one transaction per batch, re-runnable: a second run finds nothing left to fire) and send what
the outbox holds; and how long until anything is due. Thin wrappers over `tasks.cycle`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import task

from models.store.db import session_scope
from notifications.dispatch import dispatch_pending
from tasks.cycle import context_for, next_wake, sweep_all
from tasks.runtime import prepare


@task(retries=2, retry_delay_seconds=[1, 5])
def sweep_due(at: datetime, config: str | None = None) -> dict[str, int]:
    """Escalate every deadline and ack window due by `at`, batch by batch, until none is left."""
    runtime = prepare(config)
    return sweep_all(
        runtime.engine,
        now=at,
        ctx=context_for(runtime),
        batch_size=runtime.settings.sweep.batch_size,
    )


@task(retries=2, retry_delay_seconds=[1, 5])
def dispatch_outbox(at: datetime, config: str | None = None) -> dict[str, Any]:
    """One dispatch round: send everything due by `at` (beside any running dispatcher: claims
    are disjoint); failures stay in the outbox for a later round."""
    runtime = prepare(config)
    result = dispatch_pending(
        runtime.engine,
        channel_url=runtime.channel_url,
        now=at,
        options=runtime.settings.dispatch,
        language=runtime.settings.general.language,
    )
    return {
        "sent": result.sent,
        "failed": result.failed,
        "recovered": result.recovered,
        "messages": result.messages,
        "attempts": result.attempts,
    }


def seconds_until_due(at: datetime, config: str | None = None) -> float | None:
    """Seconds from `at` until anything is due (0: due now); None when nothing is waiting.
    A plain function: asked every poll by a waiting escalation run, it is no task."""
    runtime = prepare(config)
    timeout = timedelta(seconds=runtime.settings.dispatch.claimer_timeout_seconds)
    with session_scope(runtime.engine) as session:
        wake = next_wake(session, now=at, claimer_timeout=timeout)
    return None if wake is None else max(0.0, (wake - at).total_seconds())
