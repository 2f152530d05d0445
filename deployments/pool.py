"""Serve's side of the distributed setup: the Prefect process work pool (created if missing), the
pool's deployments registered (`deployments.declared.pool`), and the wake-ups handed to the
workers: when the wake-up loop finds something due, `PoolEscalations` starts an `escalate/pool`
run, keeping as many in flight as there are workers online (or `serve.escalation_runs`).

A run whose worker died no longer counts, and is marked crashed so Prefect's UI says so: one
claimed by a worker but not started within PENDING_LIMIT (the worker died between the claim and
the start: Prefect leaves it PENDING for ever); one running that stopped beating (its beat, in
yuqing's database, every `dispatch.heartbeat_seconds`: `tasks.run_beat`), or never beat within
START_LIMIT of its start; one running longer than a run may (`escalation_max_seconds` and a
minute). So the next escalation run is asked for within seconds of a worker's death, not when
Prefect marks the worker offline. Prefect's own zombie detection (flow-run heartbeats and a
proactive automation, `deployments.zombies`) marks every other pool run of a dead worker."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from deployments.declared import pool as pool_deployments

log = logging.getLogger(__name__)
Say = Callable[[str], None]
ESCALATE = "escalate"
ASK_EVERY_S = 1.0  # at most one look at the pool's runs per second
OVERRUN_S = 60.0
PENDING_LIMIT = timedelta(seconds=45)  # a worker starts its run's process well within this
START_LIMIT = timedelta(seconds=45)  # ... and the run beats well within this of its start
Beating = Callable[[UUID], bool | None]  # the run beats: True, stopped: False, never: None


def ensure_pool(name: str) -> None:
    """The process work pool `name`, created when missing."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # a worker created it meanwhile
                client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def register(config: str | None, work_pool: str) -> dict[str, UUID]:
    """Register the pool's deployments; flow name → deployment id."""
    ensure_pool(work_pool)
    return {d.flow_name: d.apply() for d in pool_deployments(config, work_pool)}


class PoolEscalations:
    """The wake-up loop's work in the distributed setup: ask the workers for escalation runs."""

    def __init__(
        self,
        deployment_id: UUID,
        work_pool: str,
        *,
        runs: int | None,
        max_seconds: float,
        overrun: float = OVERRUN_S,
        beating: Beating = lambda _run_id: None,
        pending_limit: timedelta = PENDING_LIMIT,
        start_limit: timedelta = START_LIMIT,
    ) -> None:
        self.deployment_id = deployment_id
        self.work_pool = work_pool
        self.runs = runs
        self.stale = timedelta(seconds=max_seconds + overrun)
        self.beating = beating
        self.pending_limit, self.start_limit = pending_limit, start_limit
        self.asked: list[UUID] = []
        self.last_look = 0.0

    def __call__(self, now: datetime) -> bool:
        """Something is due: start a run unless enough are in flight. Never does the work here,
        so the loop waits a poll before it looks again (False)."""
        if time.monotonic() - self.last_look < ASK_EVERY_S:
            return False
        self.last_look = time.monotonic()
        from prefect import get_client

        with get_client(sync_client=True) as client:
            in_flight = self._in_flight(client)
            if len(in_flight) < self._wanted(client):
                run = client.create_flow_run_from_deployment(self.deployment_id)
                in_flight.append(run.id)
                log.info("escalation run %s asked of pool %s", run.id, self.work_pool)
            self.asked = in_flight
        return False

    def _in_flight(self, client: Any) -> list[UUID]:
        if not self.asked:
            return []
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
        from prefect.states import Crashed

        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=self.asked))
        )
        going = []
        for run in runs:
            if run.state is None or run.state.is_final():
                continue
            dead = self._dead(run, datetime.now(UTC))
            if dead is not None:
                client.set_flow_run_state(run.id, Crashed(message=dead), force=True)
                log.warning("escalation run %s: %s", run.id, dead)
                continue
            going.append(run.id)
        return going

    def _dead(self, run: Any, now: datetime) -> str | None:
        """Why the run's worker is gone (None: it is not)."""
        state = run.state
        if state.is_pending() and state.timestamp and now - state.timestamp > self.pending_limit:
            return "已被 worker 领取但未启动：其 worker 可能已退出"
        if not state.is_running():
            return None
        started, beat = run.start_time, self.beating(run.id)
        if beat is False:
            return "运行已停止心跳：其 worker 已退出"
        if beat is None and started and now - started > self.start_limit:
            return "运行启动后没有心跳：其 worker 可能已退出"
        if started and now - started > self.stale:
            return "运行超时未结束：其 worker 可能已退出"
        return None

    def _wanted(self, client: Any) -> int:
        if self.runs is not None:
            return self.runs
        from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus

        online = client.read_workers_for_work_pool(
            work_pool_name=self.work_pool,
            worker_filter=WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"])),
        )
        return max(1, len(online))


def start_pool(config: str | None, runtime: Any, say: Say) -> PoolEscalations:
    """Register the pool's deployments and Prefect's zombie automation, and give the wake-up
    loop its work."""
    from deployments.zombies import ensure_zombie_automation

    options = runtime.settings.serve
    work_pool = options.work_pool
    ids = register(config, work_pool)
    say(f"已在工作池 {work_pool} 登记部署：{'、'.join(sorted(ids))}")
    ensure_zombie_automation(work_pool)
    return PoolEscalations(
        ids[ESCALATE],
        work_pool,
        runs=options.escalation_runs,
        max_seconds=options.escalation_max_seconds,
        beating=beating_in(runtime),
    )


def beating_in(runtime: Any) -> Beating:
    """Whether a pool run beats, read from yuqing's database (a dispatcher's timeout twice)."""
    from models.store.db import session_scope
    from notifications.liveness import run_alive

    timeout = timedelta(seconds=2 * runtime.settings.dispatch.claimer_timeout_seconds)

    def beating(run_id: UUID) -> bool | None:
        with session_scope(runtime.engine) as session:
            return run_alive(session, str(run_id), now=datetime.now(UTC), timeout=timeout)

    return beating
