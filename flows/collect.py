"""The collection run, as the runbook says it: read the clock once, see whether a sensitive
period is on, pick the sources that are due, fetch them a few at a time (a bounded pool, each
fetch within its own time budget), store each source's items as soon as its fetch is done, in
whatever order fetches finish (a slow source holds back nobody), record each source's run (a
failing one is reported and raises a monitoring gap after N runs; the others carry on), then
snapshot every open case's metrics, which may upgrade a case and alert its chain."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from models.policy.clocks import require_aware, utc_now
from models.policy.schedule import Period, active_period
from models.policy.states import RunStatus
from settings import Collect
from tasks.collect import (
    FetchOutcome,
    Items,
    fetch_source,
    finish_source,
    plan_sources,
    snapshot_cases,
    store_batch,
)
from tasks.runtime import prepare

MAX_POOL = 64  # the pool's ceiling; `collect.concurrency` says how much of it a run uses


@flow(name="collect", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=MAX_POOL))  # type: ignore[arg-type]
def collect(
    config: str | None = None,
    at: datetime | None = None,
    source_id: str | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Collect once. `at` moves the clock (tests, demo); `force` ignores source intervals."""
    now = require_aware(at, name="at") if at else utc_now()
    settings = prepare(config).settings
    periods = [Period(p.name, p.start, p.end) for p in settings.collect.sensitive_periods]
    period = active_period(periods, now, settings.tz)
    due = plan_sources(now, config, source_id, force, period is not None)
    results = _fetch_and_store(due, now, config, settings.collect)
    snapshot = snapshot_cases(now, config, period is not None)
    return {
        "at": now.isoformat(),
        "sensitive_period": period.name if period else None,
        "sources": [r for r in results if r["status"] != RunStatus.FAILED.value],
        "failed": [
            {"source": r["source"], "error": r["error"]}
            for r in results
            if r["status"] == RunStatus.FAILED.value
        ],
        "cases_opened": [c for r in results for c in r["cases_opened"]],
        "upgrades": snapshot["upgrades"],
        "alerts": snapshot["alerts"] + sum(r["alerts"] for r in results),
    }


def _fetch_and_store(
    due: list[str], now: datetime, config: str | None, options: Collect
) -> list[dict[str, Any]]:
    """Fetch each source due and store what it brought, in a sliding window: at most
    `concurrency` fetches in flight; whichever finishes first is stored first while the next
    source's fetch takes its place."""
    results: list[dict[str, Any]] = []
    waiting, in_flight = deque(due), dict[PrefectFuture[FetchOutcome], str]()
    while waiting or in_flight:
        while waiting and len(in_flight) < options.concurrency:
            sid = waiting.popleft()
            in_flight[fetch_source.submit(sid, config)] = sid
        future = next(as_completed(list(in_flight)))
        sid = in_flight.pop(future)
        try:
            outcome = future.result()
        except Exception as exc:  # a bug or the database, not the source: report, carry on
            get_run_logger().warning("source %s failed: %s", sid, exc)
            outcome = FetchOutcome(sid, RunStatus.FAILED, detail=f"{type(exc).__name__}: {exc}")
        results.append(_store(outcome, now, config, options.batch_size))
    return results


def _store(outcome: FetchOutcome, now: datetime, config: str | None, size: int) -> dict[str, Any]:
    totals: dict[str, Any] = {"new_items": 0, "updated": 0, "duplicates": 0, "cases_opened": []}
    for batch in outcome.items.batches(size):
        stored = store_batch(outcome.source_id, batch, now, config)
        for key in ("new_items", "updated", "duplicates"):
            totals[key] += stored[key]
        totals["cases_opened"] += stored["cases_opened"]
    run = finish_source(replace(outcome, items=Items()), totals, now, config)
    return {
        "source": outcome.source_id,
        "status": outcome.status.value,
        "error": outcome.detail,
        "entries": outcome.entries,
        **totals,
        "gap_opened": run["gap_opened"],
        "gap_closed": run["gap_closed"],
        "alerts": run["alerts"],
    }
