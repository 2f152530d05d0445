"""The report runbooks. A scheduled report: read the clock once, build the report of the period the
run stands for (once: a second run of the same period finds it built), send it to its recipients
through the outbox; the daily run also tells the operators, once, of a year the working-day
calendar lacks (from 1 December, next year). Re-running stuck reports: build again what failed,
put back in the outbox what some recipient never got, dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from models.policy.clocks import require_aware, utc_now
from tasks.calendar_notice import warn_calendar_gaps
from tasks.reports.build import build_scheduled
from tasks.reports.rerun import rerun_reports as rerun_stored
from tasks.reports.send import send_stored
from tasks.runtime import prepare


@flow(name="report")
def scheduled_report(
    kind: str, config: str | None = None, at: datetime | None = None
) -> dict[str, Any]:
    """Build and send the `kind` report (daily, weekly, monthly, quarterly, halfyear, annual)
    due at `at` (default now)."""
    now = require_aware(at, name="at") if at else utc_now()
    built = build_scheduled(kind, now, config)
    sent = send_stored(built["report_id"], now, config)
    told = warn_calendar_gaps(now, config) if kind == "daily" else 0  # a year the calendar lacks
    return {"at": now.isoformat(), "kind": kind, **built, "sent": sent, "calendar_notices": told}


@task(cache_policy=NO_CACHE)
def rerun_stuck_reports(
    at: datetime, config: str | None = None, report_id: int | None = None
) -> list[dict[str, Any]]:
    ids = None if report_id is None else [report_id]
    return rerun_stored(prepare(config), now=at, report_ids=ids)


@flow(name="rerun-reports")
def rerun_reports(
    config: str | None = None, at: datetime | None = None, report_id: int | None = None
) -> list[dict[str, Any]]:
    """Re-run every stuck report (or `report_id`) at `at` (default now)."""
    now = require_aware(at, name="at") if at else utc_now()
    return rerun_stuck_reports(now, config, report_id)
