"""The scheduled collection run: every configured source is fetched and stored; a failing source
is reported and the others carry on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger

from models.clock import require_aware, utc_now
from tasks.collect import collect_source
from yuqing.runtime import prepare


@flow(name="collect", log_prints=False)
def collect(
    config: str | None = None, at: datetime | None = None, source_id: str | None = None
) -> dict[str, Any]:
    """Collect once. `at` moves the clock (tests, demo); by default it is now."""
    now = require_aware(at, name="at") if at else utc_now()
    runtime = prepare(config)
    sources = [s.id for s in runtime.settings.sources if source_id in (None, s.id)]
    if source_id is not None and not sources:
        raise ValueError(f"unknown source {source_id!r}")
    futures = {sid: collect_source.submit(sid, now, config) for sid in sources}
    results, failed = [], []
    for sid, future in futures.items():
        try:
            results.append(future.result())
        except Exception as exc:
            get_run_logger().warning("source %s failed: %s", sid, exc)
            failed.append({"source": sid, "error": str(exc)})
    return {
        "at": now.isoformat(),
        "sources": results,
        "failed": failed,
        "cases_opened": [c for r in results for c in r["cases_opened"]],
    }
