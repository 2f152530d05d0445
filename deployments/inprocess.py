"""Serve's runner: the flow runs of serve's own deployments (scheduled collection, the backstop
sweep, a re-run started from the Prefect UI) run inside the serve process, on a thread each,
instead of in a new interpreter each.

Prefect's `serve` starts every flow run as a new process (`python -m prefect.engine`, or a
spawned multiprocessing child: 64-150 MB and seconds of imports each, `prefect.runner`); its work
pools and workers do the same. What Prefect does allow is running a flow run in the current
process: `prefect.flow_engine.run_flow(flow, flow_run=...)` is the very call that engine
process makes. So the deployments are still registered with Prefect (their schedules, runs and
logs are in its UI; a run can be started there), and this runner polls for their due runs, moves
each to Pending (the server refuses a run someone else took) and runs it here.

Runs never pile up: a deployment has at most one run going; of several due runs of a scheduled
deployment only the latest runs and the older are cancelled as superseded (after an hour's stop,
one collection, not twelve); runs of a manual deployment (a re-run per case) run in turn. On stop,
a run still going after the grace period is recorded as cancelled, and the process exits."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

log = logging.getLogger(__name__)
Say = Callable[[str], None]
SUPERSEDED = "已被更晚的一次计划运行取代（serve 不堆积计划运行）"
STOPPED = "yuqing serve 已停止，运行未完成"


@dataclass
class Served:
    """A deployment this runner carries out: its definition, its flow, and whether its due runs
    collapse into the latest (a schedule) or each runs (started by hand)."""

    deployment: Any  # prefect.deployments.runner.RunnerDeployment
    flow: Any  # prefect.Flow
    scheduled: bool
    id: UUID | None = None
    running: tuple[UUID, threading.Thread] | None = None


class InProcessRunner:
    def __init__(self, served: list[Served], *, poll_seconds: float = 1.0) -> None:
        self.served = served
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="yuqing-runner", daemon=True)

    def start(self) -> None:
        """Register the deployments with Prefect (their schedules start) and start polling."""
        for item in self.served:
            item.id = item.deployment.apply()
        self._thread.start()

    def stop(self, *, grace: float) -> list[UUID]:
        """Stop polling, give running flow runs `grace` seconds, then record the rest as
        cancelled; their ids."""
        self.stopping.set()
        if self._thread.ident is not None:  # started (a stop may come while it registers)
            self._thread.join(timeout=self.poll_seconds + 5)
        deadline = time.monotonic() + grace
        for item in self.served:
            if item.running is not None:
                item.running[1].join(timeout=max(0.0, deadline - time.monotonic()))
        left = [i.running[0] for i in self.served if i.running and i.running[1].is_alive()]
        if left:
            from prefect import get_client
            from prefect.states import Cancelled

            with get_client(sync_client=True) as client:
                for run_id in left:
                    client.set_flow_run_state(run_id, Cancelled(message=STOPPED), force=True)
        return left

    def _loop(self) -> None:
        while not self.stopping.wait(self.poll_seconds):
            try:
                self.poll_once()
            except Exception as error:  # the API may be restarting: try again at the next poll
                if api_away(error):  # said once by serve's monitor, not per poll
                    log.debug("in-process runner: Prefect API away: %s", error)
                else:
                    log.exception("in-process runner: poll failed")

    def poll_once(self) -> None:
        from prefect import get_client

        ids = {item.id: item for item in self.served if item.id is not None}
        with get_client(sync_client=True) as client:
            due = client.get_scheduled_flow_runs_for_deployments(
                deployment_ids=list(ids), scheduled_before=datetime.now(UTC)
            )
            by_deployment: dict[UUID, list[Any]] = {}
            for run in due:
                if run.deployment_id in ids:
                    by_deployment.setdefault(run.deployment_id, []).append(run)
            for deployment_id, runs in by_deployment.items():
                item = ids[deployment_id]
                if item.running is not None and item.running[1].is_alive():
                    continue  # one at a time; the due ones wait (or collapse) until it ends
                self._take(client, item, sorted(runs, key=_when))

    def _take(self, client: Any, item: Served, runs: list[Any]) -> None:
        from prefect.client.schemas.responses import SetStateStatus
        from prefect.states import Cancelled, Pending

        if item.scheduled:
            for older in runs[:-1]:
                client.set_flow_run_state(older.id, Cancelled(message=SUPERSEDED))
            runs = runs[-1:]
        for run in runs[:1]:  # the rest of a manual deployment's runs: at the next polls
            taken = client.set_flow_run_state(run.id, Pending())
            if taken.status != SetStateStatus.ACCEPT:
                continue  # another runner took it, or it was cancelled meanwhile
            flow_run = client.read_flow_run(run.id)
            thread = threading.Thread(
                target=_run, args=(item.flow, flow_run), name=f"flow-run-{run.id}", daemon=True
            )
            item.running = (run.id, thread)
            thread.start()


def api_away(error: BaseException) -> bool:
    """The error says the Prefect API did not answer (not that yuqing has a bug)."""
    names = {c.__module__.split(".")[0] for c in type(error).__mro__}
    status = getattr(getattr(error, "response", None), "status_code", 0) or 0
    return (
        bool(names & {"httpx", "httpcore", "anyio"}) or isinstance(error, OSError) or status >= 500
    )


def _when(run: Any) -> datetime:
    expected = run.next_scheduled_start_time or run.expected_start_time
    return expected if expected is not None else datetime.now(UTC) - timedelta(days=1)


def _run(flow: Any, flow_run: Any) -> None:
    """What the `prefect.engine` process does with a flow run, in this thread."""
    from prefect.flow_engine import run_flow

    try:
        run_flow(flow, flow_run=flow_run, return_type="state")
    except BaseException:  # the engine recorded the run's failure; keep the runner going
        log.exception("flow run %s failed", flow_run.id)
