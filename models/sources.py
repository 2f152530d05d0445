"""Repository functions for sources: keep the stored sources in step with the settings and
record the outcome of each collection run (status, error, conditional-GET validators)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from models.states import RunStatus, SourceKind
from models.tables import Source


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
    for config in sources:
        source = session.get(Source, config.id)
        if source is None:
            source = Source(
                id=config.id, kind=SourceKind(config.kind), name=config.name, url=config.url
            )
        source.kind, source.name, source.url = SourceKind(config.kind), config.name, config.url
        session.add(source)


def record_run(
    session: Session,
    *,
    source_id: str,
    at: datetime,
    status: RunStatus,
    error: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise KeyError(f"unknown source {source_id!r}")
    source.last_run_at, source.last_status, source.last_error = at, status, error
    source.consecutive_failures = (
        source.consecutive_failures + 1 if status == RunStatus.FAILED else 0
    )
    if etag is not None or last_modified is not None:
        source.etag, source.last_modified = etag, last_modified
    session.add(source)
    return source
