"""The `case` flow's tasks: claim a case's waiting steps, carry out one (its notice delivered to
the outbox and the step marked done, in one transaction, so a retry or a re-run delivers nothing
twice: the outbox keys hold; the quick report's step first issues the quick-report document
under a key of its own, and the report carries it), and record a step that failed after its
retries (the case is then on the stuck list until `rerun-case` carries it out). `claim` and
`perform_step` are the plain functions the tasks wrap."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from models.policy.notices import Notice, NoticeKind
from models.repo.cases import get_case
from models.repo.reports.store import attachment_ref
from models.repo.steps import claim_steps, fail_step, finish_step
from models.store.db import session_scope
from models.store.tables import CaseStep
from notifications.notices import deliver
from notifications.outbox.context import DeliveryContext
from settings.faults import inject
from tasks.reports.context import filler_for
from tasks.reports.quick import build_quick
from tasks.runtime import Runtime, context_for, prepare


def claim(engine: Engine, *, case_id: int, now: datetime, failed: bool) -> list[tuple[int, str]]:
    """Claim the case's waiting steps (and failed ones for a re-run): (id, kind) in order."""
    with session_scope(engine) as session:
        get_case(session, case_id)
        steps = claim_steps(session, case_id=case_id, now=now, failed=failed)
        return [(step.id, step.kind) for step in steps if step.id is not None]


def perform_step(engine: Engine, ctx: DeliveryContext, *, step_id: int, now: datetime) -> int:
    """Deliver the step's notice to the outbox and mark it done; how many messages it queued."""
    with session_scope(engine) as session:
        step = session.get(CaseStep, step_id)
        assert step is not None, f"unknown step {step_id}"
        inject(f"case_step:{step.kind}")
        queued = deliver(session, [Notice.from_json(step.payload)], ctx=ctx, now=now, strict=True)
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
    if kind == NoticeKind.QUICK_REPORT:
        attach_quick_document(runtime, step_id=step_id, case_id=case_id, now=at)
    return perform_step(runtime.engine, context_for(runtime), step_id=step_id, now=at)


def attach_quick_document(runtime: Runtime, *, step_id: int, case_id: int, now: datetime) -> None:
    """The quick report goes with its document (S1-4 §13: the paper report after the phone one):
    the issue of this report (the case's first, or its 第N次续报; sent by the person who
    reported), attached where the channel takes files, fetchable by all."""
    with session_scope(runtime.engine) as session:
        step = session.get(CaseStep, step_id)
        assert step is not None
        extra = Notice.from_json(step.payload).extra
        reporter = filler_for(runtime.settings, extra.get("reporter"))
    ordinal, changes = int(extra.get("ordinal", 1)), [str(c) for c in extra.get("changes", [])]
    built = build_quick(
        runtime, case_id=case_id, now=now, by=reporter, ordinal=ordinal, changes=changes
    )
    with session_scope(runtime.engine) as session:
        step = session.get(CaseStep, step_id)
        assert step is not None
        notice = Notice.from_json(step.payload)
        if notice.attachment is None:
            fetch = f"快报文档：{built.filename}（可用 yuqing report get {built.report_id} 取得）"
            notice = replace(
                notice, attachment=attachment_ref(built.report_id), lines=(*notice.lines, fetch)
            )
            step.payload = notice.to_json()
            session.add(step)


@task(cache_policy=NO_CACHE)
def record_step_failure(step_id: int, at: datetime, error: str, config: str | None = None) -> None:
    record_failure(prepare(config).engine, step_id=step_id, now=at, error=error)
