"""The sweep: find every deadline that has lapsed by now, write its escalation and the alerts
it causes in one transaction (the outbox), then dispatch the outbox through Apprise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from models.policy.clocks import require_aware, utc_now
from tasks.sweep import dispatch_outbox, sweep_due


@flow(name="sweep")
def sweep(config: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Escalate what is due by `at` (default now) and send the alerts."""
    now = require_aware(at, name="at") if at else utc_now()
    escalated = sweep_due(now, config)
    dispatched = dispatch_outbox(now, config)
    return {"at": now.isoformat(), **escalated, **dispatched}
