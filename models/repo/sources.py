"""Repository functions for sources: keep the stored sources in step with the settings, record
each collection run (status, reason, counts, conditional-GET validators) and, through the pure
`models.policy.monitoring.assess`, open and close monitoring gaps (监测盲区)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from models.policy.monitoring import GapDecision, Outcome, SourceHealth, assess
from models.policy.notices import Notice, NoticeKind
from models.policy.states import RunStatus, SourceKind
from models.store.tables import MonitoringGap, Source, SourceRun

MANUAL_SOURCE = "manual"  # where items registered by hand are stored


class SourceLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...


def sync_sources(session: Session, sources: Sequence[SourceLike]) -> None:
    """Stored sources match the configuration, plus the built-in source of manual items."""
    wanted = [(s.id, SourceKind(s.kind), s.name, s.url) for s in sources]
    wanted.append((MANUAL_SOURCE, SourceKind.MANUAL, "人工登记", ""))
    for source_id, kind, name, url in wanted:
        source = session.get(Source, source_id) or Source(
            id=source_id, kind=kind, name=name, url=url
        )
        source.kind, source.name, source.url = kind, name, url
        session.add(source)


@dataclass(frozen=True)
class RunRecord:
    """What a run changed about the source's health: a gap opened (alert) or closed."""

    source_id: str
    status: RunStatus
    gap_opened: MonitoringGap | None = None
    gap_closed: MonitoringGap | None = None


def record_run(
    session: Session,
    *,
    source_id: str,
    at: datetime,
    status: RunStatus,
    error: str | None = None,
    entries: int = 0,
    new_items: int = 0,
    updated_items: int = 0,
    etag: str | None = None,
    last_modified: str | None = None,
    gap_threshold: int = 3,
) -> RunRecord:
    """Record the run on the source and in its history, and open or close a monitoring gap."""
    source = session.get(Source, source_id)
    if source is None:
        raise KeyError(f"unknown source {source_id!r}")
    gap = _open_gap(session, source_id)
    outcome = _outcome(status, entries)
    before = SourceHealth(
        source.consecutive_failures, source.consecutive_empty, source.ever_yielded, gap is not None
    )
    decision = assess(before, outcome, yielded=entries > 0, threshold=gap_threshold)
    source.last_run_at, source.last_status, source.last_error = at, status, error
    _keep_health(source, decision.health, validators=(etag, last_modified))
    session.add(source)
    counts = {"entries": entries, "new_items": new_items, "updated_items": updated_items}
    session.add(SourceRun(source_id=source_id, at=at, status=status, detail=error, **counts))
    failed = outcome is Outcome.FAILED
    opened, closed = _gaps(session, source_id, decision, gap, at=at, error=error, failed=failed)
    return RunRecord(source_id, status, gap_opened=opened, gap_closed=closed)


def _keep_health(
    source: Source, health: SourceHealth, *, validators: tuple[str | None, str | None]
) -> None:
    """The source's counts after the run, and its conditional-GET validators when it sent any."""
    source.consecutive_failures = health.consecutive_failures
    source.consecutive_empty = health.consecutive_empty
    source.ever_yielded = health.ever_yielded
    if validators != (None, None):
        source.etag, source.last_modified = validators


def _outcome(status: RunStatus, entries: int) -> Outcome:
    """A failed run, an empty one (a 304 is not empty: nothing changed), or a run that yielded."""
    if status == RunStatus.FAILED:
        return Outcome.FAILED
    if status != RunStatus.NOT_MODIFIED and entries == 0:
        return Outcome.EMPTY
    return Outcome.OK


def _gaps(
    session: Session,
    source_id: str,
    decision: GapDecision,
    gap: MonitoringGap | None,
    *,
    at: datetime,
    error: str | None,
    failed: bool,
) -> tuple[MonitoringGap | None, MonitoringGap | None]:
    """The gap the run opens (with why) and the one it closes."""
    opened = closed = None
    if decision.open_gap:
        why = "连续失败" if failed else "连续无数据（以往有数据）"
        opened = MonitoringGap(
            source_id=source_id, opened_at=at, runs=decision.runs, reason=f"{why}：{error or ''}"
        )
        session.add(opened)
        session.flush()
    if decision.close_gap and gap is not None:
        gap.closed_at, closed = at, gap
        session.add(gap)
    return opened, closed


def _open_gap(session: Session, source_id: str) -> MonitoringGap | None:
    query = select(MonitoringGap).where(
        MonitoringGap.source_id == source_id, col(MonitoringGap.closed_at).is_(None)
    )
    return session.exec(query).first()


def gap_notice(gap: MonitoringGap, *, source_name: str, roles: Sequence[str]) -> Notice:
    """监测盲区 (a source failing or silent for N runs) or its recovery, to the operators: the
    24-hour duty requirement covers the collector too."""
    back = gap.closed_at is not None
    lines = (
        (f"来源 {source_name}（{gap.source_id}）已恢复正常采集，盲区已关闭。",)
        if back
        else (
            f"来源 {source_name}（{gap.source_id}）已连续 {gap.runs} 次采集失败或无数据。",
            f"原因：{gap.reason}",
            "24小时值守要求覆盖采集本身：请尽快检查该来源。",
        )
    )
    return Notice(
        kind=NoticeKind.MONITORING,
        occasion=f"gap{gap.id}-{'closed' if back else 'opened'}",
        headline=f"【监测{'恢复' if back else '盲区'}】{source_name}",
        roles=tuple(roles),
        lines=lines,
    )
