"""Re-running a stuck case, as the runbook says it: read the clock once, repair what the case's
stored state lacks (a missing deadline from its original anchor, a lost next check, alerts that
failed on every channel), then run the sweep and the dispatcher so whatever is due by now fires
and whatever the outbox holds goes out. The sweep and dispatch are the normal global ones:
everything due by now is due whichever case asked, and their unique keys and compare-and-set
claims make a second run add nothing. A step that raises is recorded on the case's timeline
(STEP_FAILED), so the case stays listed as stuck until a re-run gets through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger

from models.policy.clocks import require_aware, utc_now
from models.repo.cases import CaseError
from tasks.rerun import record_failure, repair_stuck_case
from tasks.sweep import dispatch_outbox, sweep_due


@flow(name="rerun-case")
def rerun_case(
    case_id: int,
    config: str | None = None,
    at: datetime | None = None,
    actor: str = "operator",
) -> dict[str, Any]:
    """Re-run case `case_id` at `at` (default now) without restarting any clock."""
    now = require_aware(at, name="at") if at else utc_now()
    step = "repair"
    try:
        repaired = repair_stuck_case(case_id, now, config, actor)
        step = "sweep"
        escalated = sweep_due(now, config)
        step = "dispatch"
        dispatched = dispatch_outbox(now, config)
    except CaseError:
        raise  # an unknown case: nothing to record it on
    except Exception as exc:
        _record(case_id, step, exc, now, config)
        raise
    return {"at": now.isoformat(), **repaired, "sweep": escalated, "dispatch": dispatched}


def _record(case_id: int, step: str, exc: Exception, now: datetime, config: str | None) -> None:
    try:
        record_failure(case_id, step, f"{type(exc).__name__}: {exc}", now, config)
    except Exception:  # the database may be what failed: the flow fails with the first error
        get_run_logger().exception("could not record the failed step %s of case %s", step, case_id)
