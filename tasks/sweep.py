"""Sweep and dispatch tasks: queue escalations for lapsed deadlines (one transaction per batch,
re-runnable: a second run finds nothing left to fire) and send what the outbox holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task

from models.db import session_scope
from notifications.dispatch import dispatch_pending
from notifications.escalate import escalate_due
from yuqing.runtime import prepare


@task(retries=2, retry_delay_seconds=[1, 5])
def sweep_due(at: datetime, config: str | None = None) -> dict[str, int]:
    """Escalate every deadline due by `at`, batch by batch, until none is left."""
    runtime = prepare(config)
    totals = {"claimed": 0, "levels_fired": 0, "queued": 0}
    while True:
        with session_scope(runtime.engine) as session:
            result = escalate_due(
                session,
                now=at,
                policy=runtime.policy,
                language=runtime.settings.general.language,
                batch_size=runtime.settings.sweep.batch_size,
            )
        for key in totals:
            totals[key] += getattr(result, key)
        if result.claimed < runtime.settings.sweep.batch_size:
            return totals


@task(retries=2, retry_delay_seconds=[1, 5])
def dispatch_outbox(at: datetime, config: str | None = None) -> dict[str, Any]:
    """Send pending notifications; failures stay in the outbox for the next round."""
    runtime = prepare(config)
    result = dispatch_pending(runtime.engine, channel_url=runtime.channel_url, now=at)
    return {"sent": result.sent, "failed": result.failed}
