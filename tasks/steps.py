"""The `case` flow's tasks: claim a case's waiting steps, carry out one (its notice delivered to
the outbox and the step marked done, in one transaction, so a retry or a re-run delivers nothing
twice: the outbox keys hold), and record a step that failed after its retries (the case is then
on the stuck list until `rerun-case` carries it out)."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.policy.notices import Notice
from models.repo.cases import get_case
from models.repo.steps import claim_steps, fail_step, finish_step
from models.store.db import session_scope
from models.store.tables import CaseStep
from notifications.notices import deliver
from settings.faults import inject
from tasks.cycle import context_for
from tasks.runtime import prepare


@task(cache_policy=NO_CACHE)
def waiting_steps(
    case_id: int, at: datetime, config: str | None = None, failed: bool = False
) -> list[tuple[int, str]]:
    """Claim the case's waiting steps (and its failed ones for a re-run): (id, kind) in order."""
    runtime = prepare(config)
    with session_scope(runtime.engine) as session:
        get_case(session, case_id)
        steps = claim_steps(session, case_id=case_id, now=at, failed=failed)
        return [(step.id, step.kind) for step in steps if step.id is not None]


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 3])
def carry_out_step(step_id: int, at: datetime, config: str | None = None) -> int:
    """Deliver the step's notice to the outbox; returns how many messages it queued."""
    runtime = prepare(config)
    with session_scope(runtime.engine) as session:
        step = session.get(CaseStep, step_id)
        assert step is not None, f"unknown step {step_id}"
        inject(f"case_step:{step.kind}")
        queued = deliver(
            session, [Notice.from_json(step.payload)], ctx=context_for(runtime), now=at
        )
        finish_step(session, step_id, at=at)
    return queued


@task(cache_policy=NO_CACHE)
def record_step_failure(step_id: int, at: datetime, error: str, config: str | None = None) -> None:
    with session_scope(prepare(config).engine) as session:
        fail_step(session, step_id, at=at, error=error)
