"""The case library (案例库, seeds-spec §7.6–§7.7, F18): reviewed cases with their latest review
(summary, cause, lessons), filtered by category, grade, unit and year, and searched by words in
the title and the review. One query; the newest review first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from models.repo.access import EVERYTHING, Scope, of_unit, visible
from models.store.tables import Case, CaseReview

LIMIT = 500


@dataclass(frozen=True)
class LibraryEntry:
    case_id: int
    title: str
    grade: str
    category: str | None
    units: tuple[str, ...]
    outcome: str | None
    closed_at: datetime | None
    reviewed_at: datetime
    reviewed_by: str
    summary: str
    cause: str
    lessons: str


def library(
    session: Session,
    *,
    tz: ZoneInfo,
    category: str | None = None,
    grade: str | None = None,
    unit: str | None = None,
    year: int | None = None,
    words: str | None = None,
    limit: int = LIMIT,
    scope: Scope = EVERYTHING,
) -> list[LibraryEntry]:
    """The library's entries of the cases `scope` sees matching every filter given (grade as an
    id; year of the review in the office's time zone)."""
    query = _reviewed()
    if not scope.everything:
        query = query.where(visible(scope))
    if category:
        query = query.where(Case.category == category)
    if grade:
        query = query.where(Case.grade == grade)
    if unit:  # the JSON array's text holds each id quoted, on SQLite and PostgreSQL alike
        query = query.where(of_unit(unit))
    if year:
        start = datetime(year, 1, 1, tzinfo=tz)
        query = query.where(CaseReview.at >= start, CaseReview.at < start.replace(year=year + 1))
    for word in (words or "").split():
        query = query.where(_mentions(word))
    rows = session.exec(query.order_by(col(CaseReview.at).desc()).limit(limit)).all()
    return [_entry(case, review) for case, review in rows]


def _reviewed() -> Select[Case, CaseReview]:
    """Each reviewed case with its latest review."""
    latest = (
        select(CaseReview.case_id, func.max(CaseReview.id).label("review_id"))
        .group_by(col(CaseReview.case_id))
        .subquery()
    )
    return (
        select(Case, CaseReview)
        .join(latest, col(Case.id) == latest.c.case_id)
        .join(CaseReview, col(CaseReview.id) == latest.c.review_id)
    )


def _mentions(word: str) -> ColumnElement[bool]:
    """The word in the title or the review (case-insensitive)."""
    pattern = f"%{word.lower()}%"
    return or_(
        func.lower(Case.title).like(pattern),
        func.lower(CaseReview.summary).like(pattern),
        func.lower(CaseReview.cause).like(pattern),
        func.lower(CaseReview.lessons).like(pattern),
    )


def _entry(case: Case, review: CaseReview) -> LibraryEntry:
    return LibraryEntry(
        case_id=case.id or 0,
        title=case.title,
        grade=case.grade,
        category=case.category,
        units=tuple(case.units),
        outcome=case.outcome,
        closed_at=case.closed_at,
        reviewed_at=review.at,
        reviewed_by=review.reviewed_by,
        summary=review.summary,
        cause=review.cause,
        lessons=review.lessons,
    )
