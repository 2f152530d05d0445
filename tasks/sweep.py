"""The escalation runbook as Prefect tasks (thin wrappers over `tasks.escalation`): sweep and send
(`escalate_due`, what the `sweep` flow and the pool's `escalate` runs do), and how long until
anything is due (a plain function: an escalation run asks it every poll). Sending alone, what the
`case` flow does after its steps, is `tasks.outbox`."""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import task

from models.store.db import session_scope
from tasks.escalation import escalate, next_due
from tasks.outbox import sending
from tasks.runtime import context_for, prepare


@task(retries=2, retry_delay_seconds=[1, 5])
def escalate_due(at: datetime, config: str | None = None) -> dict[str, int]:
    """Escalate every deadline and ack window due by `at`, then send the outbox. Run twice, the
    second run finds nothing left to fire and nothing unsent that it can send."""
    runtime = prepare(config)
    return escalate(
        runtime.engine,
        now=at,
        ctx=context_for(runtime),
        send=sending(runtime),
        batch_size=runtime.settings.sweep.batch_size,
    )


def seconds_until_due(at: datetime, config: str | None = None) -> float | None:
    """Seconds from `at` until anything is due (0: due now); None when nothing is waiting."""
    runtime = prepare(config)
    timeout = timedelta(seconds=runtime.settings.dispatch.claimer_timeout_seconds)
    with session_scope(runtime.engine) as session:
        wake = next_due(session, now=at, claimer_timeout=timeout)
    return None if wake is None else max(0.0, (wake - at).total_seconds())
