"""Re-running a stuck case, as the runbook says it: read the clock once, repair what the case's
stored state lacks (a missing deadline from its original anchor, a lost next check, alerts that
failed on every channel), carry out its failed and waiting steps through the `case` flow (a
step already done is not done again: the outbox keys hold), then run the sweep and the
dispatcher so whatever is due by now fires and whatever the outbox holds goes out. The sweep and
dispatch are the normal global ones: their unique keys and compare-and-set claims make a second
run add nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from flows.case import advance_case
from models.policy.clocks import require_aware, utc_now
from tasks.rerun import repair_stuck_case
from tasks.sweep import escalate_due

SWEPT = ("claimed", "levels_fired", "queued", "reminders", "held")


@flow(name="rerun-case", flow_run_name="rerun-case-{case_id}")
def rerun_case(
    case_id: int,
    config: str | None = None,
    at: datetime | None = None,
    actor: str = "operator",
) -> dict[str, Any]:
    """Re-run case `case_id` at `at` (default now) without restarting any clock."""
    now = require_aware(at, name="at") if at else utc_now()
    repaired = repair_stuck_case(case_id, now, config, actor)
    steps = advance_case(case_id, config, now, rerun=True)
    escalated = escalate_due(now, config)
    return {
        "at": now.isoformat(),
        **repaired,
        "steps": steps["queued"],
        "sweep": {k: v for k, v in escalated.items() if k in SWEPT},
        "dispatch": {k: steps[k] + escalated[k] for k in ("sent", "failed", "recovered")},
    }
