"""The case board as the database answers it: open cases, nearest open deadline first (ties by
case number; cases with no open deadline last, by number), filtered by grade and by responsible
unit, one page at a time after a cursor (keyset paging: the thousandth page costs what the first
does), and the counts of all open and of overdue cases under the same filters.

One statement gives a page's rows, each with its open-deadline count and units (a second runs
only on the page where the cases with open deadlines run out), and one gives the counts, however
many cases there are: nothing is read per case. The walk follows the index on open obligations
by due time and keeps each case's first one, so a page reads about as many rows as it shows.

A case's responsible units are the units of whoever must act on its open obligations: the person
an obligation was handed to (转办), else every holder of its owner role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.policy import Stage
from models.policy.states import ObligationStatus
from models.repo.access import EVERYTHING, Scope, visible
from models.store.tables import Case, Obligation, Person, RoleAssignment

OPEN = ObligationStatus.OPEN
UNIT_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class BoardFilter:
    grades: tuple[str, ...] = ()  # every stored name of one grade (id, label, aliases); (): all
    unit: str | None = None
    scope: Scope = EVERYTHING  # the cases the viewer may see (`models.repo.access`)


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: its last case's nearest due time (None once past the cases with an
    open deadline) and number. Written into the "next page" link as text."""

    due: datetime | None
    case_id: int

    def encode(self) -> str:
        return f"{self.due.isoformat() if self.due else '-'}~{self.case_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor `encode` wrote; ValueError for anything else."""
        due, sep, case_id = text.partition("~")
        if not sep or not case_id.isdigit():
            raise ValueError(f"not a board cursor: {text!r}")
        at = None if due == "-" else datetime.fromisoformat(due)
        if at is not None and at.tzinfo is None:
            raise ValueError(f"board cursor without a time zone: {text!r}")
        return cls(due=at, case_id=int(case_id))


@dataclass(frozen=True)
class BoardRow:
    case_id: int
    title: str
    grade: str
    stage: Stage
    nearest_title: str | None
    nearest_due: datetime | None
    open_count: int
    units: tuple[str, ...]  # unit ids, sorted
    owner_role: str | None = None  # the nearest obligation's: who must act on it
    assignee: str | None = None
    case_units: tuple[str, ...] = ()  # the case's responsible units (研判)


@dataclass(frozen=True)
class BoardPage:
    rows: list[BoardRow]
    next: Cursor | None  # None: this is the last page


def board_page(
    session: Session, *, filters: BoardFilter, after: Cursor | None = None, limit: int = 50
) -> BoardPage:
    """The `limit` cases after `after` (None: the first page)."""
    rows: list[BoardRow] = []
    if after is None or after.due is not None:
        rows = _with_deadlines(session, filters, after, limit + 1)
    if len(rows) <= limit and filters.unit is None:  # no open deadline: no unit either
        past = after if after is not None and after.due is None else None
        rows += _without_deadlines(session, filters, past, limit + 1 - len(rows))
    if len(rows) <= limit:
        return BoardPage(rows=rows, next=None)
    last = rows[limit - 1]
    return BoardPage(rows=rows[:limit], next=Cursor(last.nearest_due, last.case_id))


def board_counts(session: Session, *, now: datetime, filters: BoardFilter) -> tuple[int, int]:
    """(open cases, open cases with an open deadline past `now`) under `filters`, in one pass
    over the open cases. PostgreSQL checks each against the set of overdue (and of the unit's)
    cases, built once and hashed; SQLite, faster looking each case up in the index of its own
    open obligations (70 against 120 ms, and 80 against 700 ms with a unit, at 100,000 cases)."""
    per_case = session.get_bind().dialect.name == "sqlite"
    late = aliased(Obligation, name="late")
    if per_case:
        overdue: Any = exists().where(
            col(late.case_id) == col(Case.id), col(late.status) == OPEN, col(late.due_at) < now
        )
    else:
        cases = select(col(late.case_id)).where(col(late.status) == OPEN, col(late.due_at) < now)
        overdue = col(Case.id).in_(cases)
    where: list[ColumnElement[bool]] = [col(Case.closed_at).is_(None)]
    if not filters.scope.everything:
        where.append(visible(filters.scope))
    if filters.grades:
        where.append(col(Case.grade).in_(filters.grades))
    if filters.unit is not None and per_case:
        where.append(_in_unit(col(Case.id), filters.unit))
    elif filters.unit is not None:
        where.append(col(Case.id).in_(_unit_cases(filters.unit)))
    is_late = case((overdue, 1), else_=0)
    query = select(func.count(), func.coalesce(func.sum(is_late), 0)).where(*where)
    total, late_count = session.execute(query).one()
    return int(total), int(late_count)


def _with_deadlines(
    session: Session, filters: BoardFilter, after: Cursor | None, limit: int
) -> list[BoardRow]:
    page = _nearest_walk(filters, after, limit).subquery("page")
    query = (
        select(
            page.c.case_id,
            page.c.due_at,
            page.c.nearest_title,
            col(Case.title),
            col(Case.grade),
            col(Case.stage),
            _open_count(page.c.case_id),
            _units(page.c.case_id),
            page.c.owner_role,
            page.c.assignee,
            col(Case.units),
        )
        .join(Case, col(Case.id) == page.c.case_id)
        .order_by(page.c.due_at, page.c.case_id)
    )
    return [_row(*r) for r in session.execute(query).all()]


def _nearest_walk(filters: BoardFilter, after: Cursor | None, limit: int) -> Any:
    """One page of open cases by their nearest open deadline (ties by case number), after the
    cursor: the walk along the index on open obligations."""
    first, earlier = aliased(Obligation, name="first"), aliased(Obligation, name="earlier")
    is_first = ~exists().where(  # no open obligation of the case comes before this one
        col(earlier.case_id) == col(first.case_id),
        col(earlier.status) == OPEN,
        or_(
            col(earlier.due_at) < col(first.due_at),
            and_(col(earlier.due_at) == col(first.due_at), col(earlier.id) < col(first.id)),
        ),
    )
    walk: Any = (
        select(
            col(first.case_id).label("case_id"),
            col(first.due_at).label("due_at"),
            col(first.title).label("nearest_title"),
            col(first.owner_role).label("owner_role"),
            col(first.assignee_id).label("assignee"),
        )
        .join(Case, col(Case.id) == col(first.case_id))
        .where(col(first.status) == OPEN, col(Case.closed_at).is_(None), is_first)
        .where(*_case_filters(filters, col(first.case_id)))
        .order_by(col(first.due_at), col(first.case_id))
        .limit(limit)
    )
    if after is not None and after.due is not None:
        walk = walk.where(
            or_(
                col(first.due_at) > after.due,
                and_(col(first.due_at) == after.due, col(first.case_id) > after.case_id),
            )
        )
    return walk


def _without_deadlines(
    session: Session, filters: BoardFilter, after: Cursor | None, limit: int
) -> list[BoardRow]:
    none_open = ~exists().where(
        col(Obligation.case_id) == col(Case.id), col(Obligation.status) == OPEN
    )
    query = (
        select(col(Case.id), col(Case.title), col(Case.grade), col(Case.stage))
        .where(col(Case.closed_at).is_(None), none_open, *_case_filters(filters, col(Case.id)))
        .order_by(col(Case.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(Case.id) > after.case_id)
    return [
        _row(case_id, None, None, title, grade, stage, 0, None)
        for case_id, title, grade, stage in session.execute(query).all()
    ]


def _case_filters(filters: BoardFilter, case_id: Any) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if not filters.scope.everything:
        found.append(visible(filters.scope, case_id))
    if filters.grades:
        found.append(col(Case.grade).in_(filters.grades))
    if filters.unit is not None:
        found.append(_in_unit(case_id, filters.unit))
    return found


def _in_unit(case_id: Any, unit: str) -> ColumnElement[bool]:
    """The case has an open obligation that someone in `unit` must act on (looked up per row:
    the board's walk stops after a page)."""
    o = aliased(Obligation, name="unit_o")
    return exists().where(col(o.case_id) == case_id, col(o.status) == OPEN, _unit_acts(o, unit))


def _unit_cases(unit: str) -> Any:
    """The ids of the cases `_in_unit` accepts, as one set (for a pass over every case)."""
    o = aliased(Obligation, name="unit_o")
    return select(col(o.case_id)).where(col(o.status) == OPEN, _unit_acts(o, unit))


def _unit_acts(o: Any, unit: str) -> ColumnElement[bool]:
    members = select(col(Person.id)).where(col(Person.unit_id) == unit)
    roles = (
        select(col(RoleAssignment.role))
        .join(Person, col(Person.id) == col(RoleAssignment.person_id))
        .where(col(Person.unit_id) == unit)
    )
    return or_(
        col(o.assignee_id).in_(members),
        and_(col(o.assignee_id).is_(None), col(o.owner_role).in_(roles)),
    )


def _open_count(case_id: Any) -> Any:
    return (
        select(func.count())
        .select_from(Obligation)
        .where(col(Obligation.case_id) == case_id, col(Obligation.status) == OPEN)
        .scalar_subquery()
    )


def _units(case_id: Any) -> Any:
    """The case's responsible unit ids as one string (repeats removed by `_row`)."""
    o, held = aliased(Obligation, name="units_o"), aliased(RoleAssignment, name="held")
    holds = select(col(held.person_id)).where(col(held.role) == col(o.owner_role))
    responsible = or_(
        col(Person.id) == col(o.assignee_id),
        and_(col(o.assignee_id).is_(None), col(Person.id).in_(holds)),
    )
    return (
        select(func.aggregate_strings(col(Person.unit_id), UNIT_SEPARATOR))
        .select_from(o)
        .join(Person, responsible)
        .where(col(o.case_id) == case_id, col(o.status) == OPEN, col(Person.unit_id).is_not(None))
        .scalar_subquery()
    )


def _row(
    case_id: int,
    due: datetime | None,
    nearest_title: str | None,
    title: str,
    grade: str,
    stage: Stage,
    open_count: int,
    units: str | None,
    owner_role: str | None = None,
    assignee: str | None = None,
    case_units: list[str] | None = None,
) -> BoardRow:
    return BoardRow(
        case_id=case_id,
        title=title,
        grade=grade,
        stage=stage,
        nearest_title=nearest_title,
        nearest_due=due,
        open_count=int(open_count),
        units=tuple(sorted(set(units.split(UNIT_SEPARATOR)))) if units else (),
        owner_role=owner_role,
        assignee=assignee,
        case_units=tuple(case_units or ()),
    )
