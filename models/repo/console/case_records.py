"""A case's records read a bounded amount at a time, for a page that must not grow with the case's
history: the timeline one page at a time (page 1 is the newest; each page in time order) and the
latest items, metric snapshots, notifications (each with the total it was cut from) and timeline
entries of some kinds or of people (with whether there are more)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.policy.states import EventKind
from models.store.tables import CaseEvent, Item, MetricSnapshot, Notification

T = TypeVar("T")


@dataclass(frozen=True)
class Slice(Generic[T]):
    """Some of a case's rows, in time order; how many there are in all, when counted, and
    whether there are more than these."""

    rows: list[T]
    total: int | None
    cut: bool


def _slice(rows: list[T], total: int) -> Slice[T]:
    return Slice(rows=rows, total=total, cut=len(rows) < total)


def timeline_page(session: Session, case_id: int, *, page: int, size: int) -> Slice[CaseEvent]:
    """Page `page` (1: the newest `size` entries) of the case's timeline, oldest first."""
    newest_first = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id)
        .order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc())
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )
    rows = list(session.exec(newest_first).all())
    return _slice(rows[::-1], _count(session, CaseEvent, case_id))


def latest_events(
    session: Session,
    case_id: int,
    *,
    limit: int,
    kinds: Sequence[EventKind] = (),
    people_only: bool = False,
) -> Slice[CaseEvent]:
    """The latest `limit` timeline entries of `kinds` (or by people, not the system). Not
    counted: counting them would read the whole timeline; `cut` says whether there are more."""
    where: list[Any] = [CaseEvent.case_id == case_id]
    if kinds:
        where.append(col(CaseEvent.kind).in_(list(kinds)))
    if people_only:
        where.append(CaseEvent.actor != "system")
    newest_first = col(CaseEvent.at).desc(), col(CaseEvent.id).desc()
    query = select(CaseEvent).where(*where).order_by(*newest_first).limit(limit + 1)
    rows = list(session.exec(query).all())
    return Slice(rows=rows[:limit][::-1], total=None, cut=len(rows) > limit)


def latest_items(session: Session, case_id: int, *, limit: int) -> Slice[Item]:
    query = select(Item).where(Item.case_id == case_id).order_by(col(Item.id).desc()).limit(limit)
    return _slice(list(session.exec(query).all())[::-1], _count(session, Item, case_id))


def latest_metrics(session: Session, case_id: int, *, limit: int) -> Slice[MetricSnapshot]:
    query = (
        select(MetricSnapshot)
        .where(MetricSnapshot.case_id == case_id)
        .order_by(col(MetricSnapshot.at).desc(), col(MetricSnapshot.id).desc())
        .limit(limit)
    )
    rows = list(session.exec(query).all())[::-1]
    return _slice(rows, _count(session, MetricSnapshot, case_id))


def latest_notifications(session: Session, case_id: int, *, limit: int) -> Slice[Notification]:
    query = (
        select(Notification)
        .where(Notification.case_id == case_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    )
    rows = list(session.exec(query).all())[::-1]
    return _slice(rows, _count(session, Notification, case_id))


def _count(session: Session, table: Any, case_id: int) -> int:
    query = select(func.count()).select_from(table).where(table.case_id == case_id)
    return int(session.exec(query).one())
