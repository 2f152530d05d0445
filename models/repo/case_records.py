"""A case's records read a bounded amount at a time, for a page that must not grow with the case's
history: the timeline one page at a time (page 1 is the newest; each page in time order) and the
latest items, metric snapshots, notifications and timeline entries of some kinds or of people,
each with the total it was cut from."""

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
    """Some of a case's rows, in time order, and how many there are in all."""

    rows: list[T]
    total: int

    @property
    def cut(self) -> bool:
        return len(self.rows) < self.total


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
    return Slice(rows=rows[::-1], total=_count(session, CaseEvent, case_id))


def latest_events(
    session: Session,
    case_id: int,
    *,
    limit: int,
    kinds: Sequence[EventKind] = (),
    people_only: bool = False,
) -> Slice[CaseEvent]:
    """The latest `limit` timeline entries of `kinds` (or by people, not the system)."""
    where: list[Any] = [CaseEvent.case_id == case_id]
    if kinds:
        where.append(col(CaseEvent.kind).in_(list(kinds)))
    if people_only:
        where.append(CaseEvent.actor != "system")
    query = select(CaseEvent).where(*where)
    rows = session.exec(
        query.order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc()).limit(limit)
    ).all()
    total = session.exec(select(func.count()).select_from(CaseEvent).where(*where)).one()
    return Slice(rows=list(rows)[::-1], total=int(total))


def latest_items(session: Session, case_id: int, *, limit: int) -> Slice[Item]:
    query = select(Item).where(Item.case_id == case_id).order_by(col(Item.id).desc()).limit(limit)
    return Slice(rows=list(session.exec(query).all())[::-1], total=_count(session, Item, case_id))


def latest_metrics(session: Session, case_id: int, *, limit: int) -> Slice[MetricSnapshot]:
    query = (
        select(MetricSnapshot)
        .where(MetricSnapshot.case_id == case_id)
        .order_by(col(MetricSnapshot.at).desc(), col(MetricSnapshot.id).desc())
        .limit(limit)
    )
    rows = list(session.exec(query).all())[::-1]
    return Slice(rows=rows, total=_count(session, MetricSnapshot, case_id))


def latest_notifications(session: Session, case_id: int, *, limit: int) -> Slice[Notification]:
    query = (
        select(Notification)
        .where(Notification.case_id == case_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    )
    rows = list(session.exec(query).all())[::-1]
    return Slice(rows=rows, total=_count(session, Notification, case_id))


def _count(session: Session, table: Any, case_id: int) -> int:
    query = select(func.count()).select_from(table).where(table.case_id == case_id)
    return int(session.exec(query).one())
