"""Re-run tasks, thin wrappers over `models.repo.rerun`: repair one stuck case from its stored
state (one transaction, re-runnable: a second run finds nothing left to repair and writes
nothing). The re-run's other steps are the case flow's (`tasks.steps`) and the sweep's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from sqlalchemy import Engine

from models.policy import Policy, PolicyError, WorkCalendar
from models.repo.cases import CaseError
from models.repo.rerun import Repair, repair_case
from models.repo.stuck import GRACE
from models.store.db import session_scope
from tasks.runtime import prepare


def _retry_unless_refused(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """An unknown case or a policy that cannot handle it will not change by retrying."""
    try:
        state.result()
    except (CaseError, PolicyError):
        return False
    except Exception:
        return True
    return False


def repair(
    engine: Engine,
    *,
    case_id: int,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    lease: timedelta,
    actor: str,
    grace: timedelta = GRACE,
) -> Repair:
    """Repair the case in one transaction (CaseError if it does not exist)."""
    with session_scope(engine) as session:
        return repair_case(
            session,
            case_id=case_id,
            now=now,
            policy=policy,
            calendar=calendar,
            actor=actor,
            grace=grace,
            lease=lease,
        )


@task(
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_retry_unless_refused,
)
def repair_stuck_case(
    case_id: int, at: datetime, config: str | None = None, actor: str = "operator"
) -> dict[str, Any]:
    """Re-create missing deadlines from their anchors, restore lost next checks, put alerts
    that failed on every channel back in the outbox; note it on the timeline if anything was."""
    runtime = prepare(config)
    return repair(
        runtime.engine,
        case_id=case_id,
        now=at,
        policy=runtime.policy,
        calendar=runtime.calendar,
        lease=timedelta(seconds=runtime.settings.dispatch.sending_lease_seconds),
        actor=actor,
    ).as_dict()
