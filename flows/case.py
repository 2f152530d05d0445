"""The case flow, as the runbook says it: a person's action has been recorded (the stage change,
its deadlines, its timeline entry) with the side effects it causes as steps; this flow carries
them out, each as its own retryable task (deliver the quick report to the grade's report
targets, send the contact sheet to the units, ask the approver, tell the watchers), then sends
what they queued. A step that still fails after its retries is recorded, so the case is listed
as stuck with it; `rerun-case` takes failed steps too. Named after the case in Prefect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from models.policy.clocks import require_aware, utc_now
from tasks.outbox import dispatch_outbox
from tasks.steps import carry_out_step, record_step_failure, waiting_steps


class StepsFailed(RuntimeError):
    """Some steps failed after their retries; they are recorded and wait for a re-run."""


@flow(name="case", flow_run_name="case-{case_id}", log_prints=False)
def advance_case(
    case_id: int, config: str | None = None, at: datetime | None = None, rerun: bool = False
) -> dict[str, Any]:
    """Carry out case `case_id`'s waiting steps (and its failed ones when `rerun`), then send."""
    now = require_aware(at, name="at") if at else utc_now()
    queued, failed = 0, []
    for step_id, kind in waiting_steps(case_id, now, config, failed=rerun):
        try:
            queued += carry_out_step.with_options(task_run_name=f"{kind}-{step_id}")(
                step_id, now, config
            )
        except Exception as exc:  # recorded: the case is stuck with this step until a re-run
            record_step_failure(step_id, now, f"{type(exc).__name__}: {exc}", config)
            failed.append(step_id)
    dispatched = dispatch_outbox(now, config)
    if failed:
        raise StepsFailed(f"案件 {case_id} 的步骤 {failed} 失败，已记录，等待重跑")
    return {"case_id": case_id, "queued": queued, **dispatched}
