"""Collection tasks, each thin: plan which sources are due, fetch and parse one source (one task
per source, no Prefect retries: `tasks.http` retries within the fetch budget and the next run
is the minute-scale retry), store one batch of items (one task per batch, never per item),
record a source's run (monitoring gaps and their alerts), and snapshot open cases' metrics
(upgrades and alerts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.parse.entries import FeedError, FeedItem, Parsed
from models.parse.feeds import parse_feed
from models.parse.jsonapi import parse_json
from models.policy.schedule import interval_for, is_due
from models.policy.states import RunStatus
from models.repo.items import StoreContext, store_items
from models.repo.playbooks import continued_spread
from models.repo.snapshots import snapshot_open_cases
from models.repo.sources import gap_notice, record_run
from models.store.db import session_scope
from models.store.tables import Source
from notifications.notices import deliver
from settings import SourceConfig
from tasks.http import Fetched, FetchError, FetchLimits, fetch
from tasks.runtime import context_for, prepare


class Items:
    """A batch of items as one opaque value. Prefect walks lists and dataclasses in task
    parameters and results looking for futures, a cost per item that made a 100,000-item run
    several times slower; an instance of a plain class is a single leaf to it."""

    __slots__ = ("items",)

    def __init__(self, items: list[FeedItem] | None = None) -> None:
        self.items = items or []

    def __len__(self) -> int:
        return len(self.items)

    def batches(self, size: int) -> list[Items]:
        return [Items(self.items[n : n + size]) for n in range(0, len(self.items), size)]


@dataclass
class FetchOutcome:
    """A fetched source: its items, or the reason it failed (a permanent fault)."""

    source_id: str
    status: RunStatus
    items: Items = field(default_factory=Items)
    entries: int = 0
    detail: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@task(cache_policy=NO_CACHE)
def plan_sources(
    at: datetime, config: str | None, source_id: str | None, force: bool, sensitive: bool
) -> list[str]:
    """The sources due now (all of them, or the one asked for, when forced)."""
    runtime = prepare(config)
    chosen = [s for s in runtime.settings.sources if s.kind != "intake"]
    if source_id is not None:
        chosen = [s for s in chosen if s.id == source_id]
        if not chosen:
            raise ValueError(f"unknown or not collectable source {source_id!r}")
    if force:
        return [s.id for s in chosen]
    collect = runtime.settings.collect
    with session_scope(runtime.engine) as session:
        last = {s.id: getattr(session.get(Source, s.id), "last_run_at", None) for s in chosen}
    return [
        s.id
        for s in chosen
        if is_due(
            last[s.id],
            interval_for(
                s.interval_seconds or collect.interval_seconds,
                s.sensitive_interval_seconds or collect.sensitive_interval_seconds,
                in_sensitive_period=sensitive,
            ),
            at,
        )
    ]


@task(cache_policy=NO_CACHE)
def fetch_source(source_id: str, config: str | None) -> FetchOutcome:
    """Fetch and parse one source; a fault (after the fetch's own retries, within its budget)
    or an unusable document comes back as a failed outcome with the reason."""
    runtime = prepare(config)
    source = _config(runtime.settings.sources, source_id)
    collect = runtime.settings.collect
    limits = FetchLimits(
        timeout=source.timeout_seconds or collect.timeout_seconds,
        max_bytes=source.max_bytes or collect.max_bytes,
        attempts=collect.fetch_attempts,
        budget=collect.fetch_budget_seconds,
    )
    with session_scope(runtime.engine) as session:
        row = session.get(Source, source_id)
        etag, modified = (row.etag, row.last_modified) if row else (None, None)
    try:
        fetched = fetch(source.url, limits=limits, etag=etag, last_modified=modified)
        if fetched.not_modified:
            return FetchOutcome(
                source_id, RunStatus.NOT_MODIFIED, etag=etag, last_modified=modified
            )
        parsed = _parse(source, fetched)
    except (FetchError, FeedError) as exc:
        return FetchOutcome(source_id, RunStatus.FAILED, detail=str(exc))
    detail = parsed.describe()
    return FetchOutcome(
        source_id,
        RunStatus.PARTIAL if detail else RunStatus.OK,
        items=Items(parsed.items),
        entries=parsed.entries,
        detail=detail,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )


def _parse(source: SourceConfig, fetched: Fetched) -> Parsed:
    if source.kind == "json":
        return parse_json(
            fetched.body,
            source.mapping.model_dump(),
            source_id=source.id,
            content_type=fetched.content_type,
            encoding=source.encoding,
            base_url=fetched.url or source.url,
        )
    return parse_feed(
        fetched.body,
        content_type=fetched.content_type,
        encoding=source.encoding,
        base_url=fetched.url or source.url,
    )


def _config(sources: list[SourceConfig], source_id: str) -> SourceConfig:
    for source in sources:
        if source.id == source_id:
            return source
    raise KeyError(f"unknown source {source_id!r}")


@task(cache_policy=NO_CACHE)
def store_batch(source_id: str, items: Items, at: datetime, config: str | None) -> dict[str, Any]:
    """Store one batch of a source's items in one transaction."""
    runtime = prepare(config)
    settings = runtime.settings
    source = next((s for s in settings.sources if s.id == source_id), None)
    ctx = StoreContext(
        source_id=source_id,
        topics=runtime.topics,
        policy=runtime.policy,
        calendar=runtime.calendar,
        now=at,
        media_level=source.media_level if source else "local",
        similarity=settings.collect.similarity,
        window=timedelta(hours=settings.collect.cluster_window_hours),
    )
    with session_scope(runtime.engine) as session:
        stored = store_items(session, items=items.items, ctx=ctx)
    return {
        "new_items": stored.new_items,
        "updated": stored.updated,
        "duplicates": stored.duplicates,
        "cases_opened": stored.cases_opened,
        "cases_attached": stored.cases_attached,
        "cases_reopened": stored.cases_reopened,
    }


@task(cache_policy=NO_CACHE)
def finish_source(
    outcome: FetchOutcome, stored: dict[str, Any], at: datetime, config: str | None
) -> dict[str, Any]:
    """Record the run; a monitoring gap opening or closing alerts the operators."""
    runtime = prepare(config)
    collect = runtime.settings.collect
    with session_scope(runtime.engine) as session:
        record = record_run(
            session,
            source_id=outcome.source_id,
            at=at,
            status=outcome.status,
            error=outcome.detail,
            entries=outcome.entries,
            new_items=stored.get("new_items", 0),
            updated_items=stored.get("updated", 0),
            etag=outcome.etag,
            last_modified=outcome.last_modified,
            gap_threshold=collect.gap_runs,
        )
        source = session.get(Source, outcome.source_id)
        name = source.name if source else outcome.source_id
        notices = [
            gap_notice(gap, source_name=name, roles=collect.gap_alert_roles)
            for gap in (record.gap_opened, record.gap_closed)
            if gap is not None
        ]
        alerts = deliver(session, notices, ctx=context_for(runtime), now=at)
    return {
        "gap_opened": record.gap_opened is not None,
        "gap_closed": record.gap_closed is not None,
        "alerts": alerts,
    }


@task(cache_policy=NO_CACHE)
def snapshot_cases(at: datetime, config: str | None, sensitive: bool) -> dict[str, Any]:
    """Snapshot every open case's metrics; upgrade those that crossed a band and alert; prompt
    where a category's playbook asks about a spread that goes on after the reply."""
    runtime = prepare(config)
    policy, calendar = runtime.policy, runtime.calendar
    with session_scope(runtime.engine) as session:
        upgrades = snapshot_open_cases(
            session, now=at, policy=policy, calendar=calendar, sensitive_period=sensitive
        )
        notices = [notice for upgrade in upgrades for notice in upgrade.notices]
        notices += continued_spread(session, now=at, policy=policy, calendar=calendar)
        alerts = deliver(session, notices, ctx=context_for(runtime), now=at)
    return {
        "upgrades": [{"case": u.case_id, "from": u.from_grade, "to": u.to_grade} for u in upgrades],
        "alerts": alerts,
    }
