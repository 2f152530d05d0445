"""The sweep: the escalation runbook once (`tasks.escalation`): every deadline that has lapsed by
now and every alert left unacknowledged is escalated, each batch with the alerts it causes in
one transaction (the outbox), then the outbox is sent through Apprise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from models.policy.clocks import require_aware, utc_now
from tasks.sweep import escalate_due


@flow(name="sweep")
def sweep(config: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Escalate what is due by `at` (default now) and send the alerts."""
    now = require_aware(at, name="at") if at else utc_now()
    return {"at": now.isoformat(), **escalate_due(now, config)}
