"""The `case` flow's tasks: claim a case's waiting steps, carry out one (its notice delivered to
the outbox and the step marked done, in one transaction, so a retry or a re-run delivers nothing
twice: the outbox keys hold; the quick report's step also issues the quick-report document, to
the same targets, under a key of its own), and record a step that failed after its retries (the
case is then on the stuck list until `rerun-case` carries it out). `claim` and `perform_step`
are the plain functions the tasks wrap."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from models.policy.notices import Notice, NoticeKind
from models.repo.cases import get_case
from models.repo.steps import claim_steps, fail_step, finish_step
from models.store.db import session_scope
from models.store.tables import CaseStep
from notifications.context import EscalationContext
from notifications.notices import deliver
from settings.faults import inject
from tasks.cycle import context_for
from tasks.quick_reports import send_quick
from tasks.runtime import prepare


def claim(engine: Engine, *, case_id: int, now: datetime, failed: bool) -> list[tuple[int, str]]:
    """Claim the case's waiting steps (and failed ones for a re-run): (id, kind) in order."""
    with session_scope(engine) as session:
        get_case(session, case_id)
        steps = claim_steps(session, case_id=case_id, now=now, failed=failed)
        return [(step.id, step.kind) for step in steps if step.id is not None]


def perform_step(engine: Engine, ctx: EscalationContext, *, step_id: int, now: datetime) -> int:
    """Deliver the step's notice to the outbox and mark it done; how many messages it queued."""
    with session_scope(engine) as session:
        step = session.get(CaseStep, step_id)
        assert step is not None, f"unknown step {step_id}"
        inject(f"case_step:{step.kind}")
        queued = deliver(session, [Notice.from_json(step.payload)], ctx=ctx, now=now)
        finish_step(session, step_id, at=now)
    return queued


def record_failure(engine: Engine, *, step_id: int, now: datetime, error: str) -> None:
    with session_scope(engine) as session:
        fail_step(session, step_id, at=now, error=error)


@task(cache_policy=NO_CACHE)
def waiting_steps(
    case_id: int, at: datetime, config: str | None = None, failed: bool = False
) -> list[tuple[int, str]]:
    return claim(prepare(config).engine, case_id=case_id, now=at, failed=failed)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 3])
def carry_out_step(step_id: int, at: datetime, config: str | None = None) -> int:
    runtime = prepare(config)
    with session_scope(runtime.engine) as session:
        step = session.get(CaseStep, step_id)
        assert step is not None, f"unknown step {step_id}"
        kind, case_id = step.kind, step.case_id
    if kind == NoticeKind.QUICK_REPORT:  # the paper report's document goes with it (S1-4 §13)
        send_quick(runtime, case_id=case_id, now=at, by="system", key=f"quick|step{step_id}")
    return perform_step(runtime.engine, context_for(runtime), step_id=step_id, now=at)


@task(cache_policy=NO_CACHE)
def record_step_failure(step_id: int, at: datetime, error: str, config: str | None = None) -> None:
    record_failure(prepare(config).engine, step_id=step_id, now=at, error=error)
