"""Collection tasks: fetch one source (one task per source, retried by Prefect on transient
faults that outlived tenacity's quick retries) and store one batch of parsed items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import Task, task
from prefect.client.schemas.objects import State, TaskRun

from models.db import session_scope
from models.feeds import FeedError, parse_feed
from models.items import store_items
from models.sources import record_run
from models.states import RunStatus
from models.tables import Source
from tasks.http import FetchError, fetch, is_transient
from yuqing.runtime import prepare


def _retry_transient(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False


@task(retries=2, retry_delay_seconds=[10, 60], retry_condition_fn=_retry_transient)
def collect_source(source_id: str, at: datetime, config: str | None = None) -> dict[str, Any]:
    """Fetch, parse and store one source; returns a small summary for the flow."""
    runtime = prepare(config)
    with session_scope(runtime.engine) as session:
        source = session.get(Source, source_id)
        if source is None:
            raise KeyError(f"unknown source {source_id!r}")
        url, etag, modified = source.url, source.etag, source.last_modified
    try:
        fetched = fetch(
            url,
            timeout=runtime.settings.collect.timeout_seconds,
            max_bytes=runtime.settings.collect.max_bytes,
            etag=etag,
            last_modified=modified,
        )
        items, problems = ([], []) if fetched.not_modified else parse_feed(fetched.body)
    except (FetchError, FeedError, OSError) as exc:
        with session_scope(runtime.engine) as session:
            record_run(session, source_id=source_id, at=at, status=RunStatus.FAILED, error=str(exc))
        raise
    with session_scope(runtime.engine) as session:
        stored = store_items(
            session,
            source_id=source_id,
            items=items,
            topics=runtime.topics,
            policy=runtime.policy,
            calendar=runtime.calendar,
            now=at,
        )
        status = (
            RunStatus.NOT_MODIFIED
            if fetched.not_modified
            else RunStatus.PARTIAL
            if problems
            else RunStatus.OK
        )
        record_run(
            session,
            source_id=source_id,
            at=at,
            status=status,
            error="; ".join(problems) or None,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )
    return {
        "source": source_id,
        "status": status.value,
        "new_items": stored.new_items,
        "duplicates": stored.duplicates,
        "cases_opened": stored.cases_opened,
    }
