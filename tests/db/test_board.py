"""The case board answered by the database (`models.repo.console.board`, `yuqing.web.board`), on
SQLite and PostgreSQL: paging through it shows every open case exactly once, nearest open deadline
first and cases with nothing open last, exactly as computed by hand from the tables; the grade and
unit filters and the open and overdue counts agree with the same hand computation; and a page
costs the same number of statements with 6 cases as with 60 (nothing is read per case)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from models.policy.states import ObligationStatus
from models.repo.console.board import BoardFilter, Cursor, board_counts, board_page
from models.store.db import session_scope
from models.store.tables import Case, Obligation, Person, RoleAssignment
from settings import PersonConfig, UnitConfig
from tests.support.escalation import POLICY, T0, new_case
from yuqing.web.board import CountsCache, board

UNITS = [UnitConfig(id="office", name="办公室"), UnitConfig(id="edu", name="教育局")]
PEOPLE = [
    PersonConfig(id="wang", name="王芳", unit="office", roles=["office_staff"], channels=[]),
    PersonConfig(id="li", name="李强", unit="office", roles=["leader_in_charge"], channels=[]),
    PersonConfig(id="zhao", name="赵敏", unit="office", roles=["duty_officer"], channels=[]),
    PersonConfig(id="qian", name="钱老师", unit="edu", roles=["unit_liaison"], channels=[]),
]
NOW = T0 + timedelta(hours=2)


def fill(engine: Engine, count: int) -> None:
    """`count` cases over three grades and several discovery times; some closed, some with every
    deadline done, and some with one deadline handed (转办) to the education bureau."""
    from models.repo.directory import sync_directory

    with session_scope(engine) as session:
        sync_directory(session, units=UNITS, people=PEOPLE)
    grades = ["一级", "二级", "三级"]
    for n in range(count):
        at = T0 - timedelta(minutes=(n * 37) % 300)
        case_id = new_case(engine, grade=grades[n % 3], at=at, title=f"案件{n}")
        with session_scope(engine) as session:
            rows = session.exec(select(Obligation).where(Obligation.case_id == case_id)).all()
            if n % 7 == 3:
                session.get_one(Case, case_id).closed_at = at + timedelta(hours=1)
            if n % 5 == 4:
                for o in rows:
                    o.status = ObligationStatus.COMPLETED
            if n % 4 == 1:
                rows[-1].assignee_id = "qian"


def expected(engine: Engine, *, grade: str | None = None, unit: str | None = None) -> list[int]:
    """The board order computed by hand from the tables."""
    with session_scope(engine) as session:
        cases = session.exec(select(Case).where(Case.closed_at == None)).all()  # noqa: E711
        obligations = session.exec(select(Obligation)).all()
        unit_of = {p.id: p.unit_id for p in session.exec(select(Person)).all()}
        holders: dict[str, list[str]] = {}
        for r in session.exec(select(RoleAssignment)).all():
            holders.setdefault(r.role, []).append(r.person_id)
    wanted = POLICY.scheme.level(grade).id if grade else None
    keyed: list[tuple[bool, datetime, int]] = []
    for case in cases:
        assert case.id is not None
        mine = [o for o in obligations if o.case_id == case.id and o.status == "open"]
        people = {p for o in mine for p in ([o.assignee_id] if o.assignee_id else [])}
        people |= {p for o in mine if not o.assignee_id for p in holders.get(o.owner_role, [])}
        if wanted and case.grade != wanted:
            continue
        if unit and unit not in {unit_of[p] for p in people}:
            continue
        nearest = min((o.due_at for o in mine), default=None)
        keyed.append((nearest is None, nearest or T0, case.id))
    return [case_id for *_, case_id in sorted(keyed)]


def paged(engine: Engine, filters: BoardFilter, limit: int) -> list[int]:
    shown: list[int] = []
    after: Cursor | None = None
    while True:
        with session_scope(engine) as session:
            page = board_page(session, filters=filters, after=after, limit=limit)
        shown += [r.case_id for r in page.rows]
        if page.next is None:
            return shown
        after = Cursor.decode(page.next.encode())  # as it travels in the link


def test_paging_shows_every_open_case_once_nearest_deadline_first(engine: Engine) -> None:
    fill(engine, 40)
    order = expected(engine)
    assert paged(engine, BoardFilter(), limit=7) == order
    assert paged(engine, BoardFilter(), limit=100) == order
    with session_scope(engine) as session:
        no_deadline = [c for c in order if not board_page_row_due(session, c)]
    assert no_deadline and order[-len(no_deadline) :] == no_deadline  # nothing open: last


def board_page_row_due(session: Any, case_id: int) -> bool:
    query = select(Obligation).where(Obligation.case_id == case_id, Obligation.status == "open")
    return session.exec(query).first() is not None


@pytest.mark.parametrize(("grade", "unit"), [("一级", None), ("g3", None), (None, "edu")])
def test_filters_and_counts_agree_with_the_tables(
    engine: Engine, grade: str | None, unit: str | None
) -> None:
    fill(engine, 40)
    order = expected(engine, grade=grade, unit=unit)
    assert order
    names = POLICY.scheme.level(grade).names if grade else ()
    filters = BoardFilter(grades=names, unit=unit)
    assert paged(engine, filters, limit=5) == order
    with session_scope(engine) as session:
        total, late = board_counts(session, now=NOW, filters=filters)
        overdue = {
            o.case_id
            for o in session.exec(select(Obligation).where(Obligation.status == "open")).all()
            if o.due_at < NOW and o.case_id in order
        }
    assert (total, late) == (len(order), len(overdue))
    assert 0 < late <= total


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for_a_page(engine: Engine, **filters: Any) -> int:
    with session_scope(engine) as session, counting(engine) as statements:
        shown = board(session, POLICY, now=NOW, unit_names={"edu": "教育局"}, limit=2, **filters)
    assert shown.lines
    return len(statements)


def test_a_page_costs_the_same_statements_with_6_cases_or_60(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from models.store.db import make_engine, upgrade_database

    costs = []
    for count in (6, 60):
        url = database_url
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path_factory.mktemp('board') / 'b.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:  # the other size's cases, if any, go
                for case in session.exec(select(Case)).all():
                    case.closed_at = T0
            fill(engine, count)
            costs.append((statements_for_a_page(engine), statements_for_a_page(engine, unit="edu")))
        finally:
            engine.dispose()
    assert costs[0] == costs[1] == (2, 2)  # the page's rows, the counts


def test_a_cursor_that_was_not_written_by_the_board_is_refused() -> None:
    for text in ("", "2026-11-22T01:00:00", "x~1", "2026-11-22T01:00:00~a", "2026-11-22T01:00~3"):
        with pytest.raises(ValueError):
            Cursor.decode(text)
    at = datetime(2026, 11, 22, 1, 0, tzinfo=T0.tzinfo)
    assert Cursor.decode(Cursor(at, 3).encode()) == Cursor(at, 3)
    assert Cursor.decode(Cursor(None, 9).encode()) == Cursor(None, 9)


def test_counts_15_seconds_old_are_shown_while_counted_again_in_the_background(
    engine: Engine,
) -> None:
    fill(engine, 6)
    cache = CountsCache()

    def shown(at: datetime) -> tuple[int, datetime]:
        with session_scope(engine) as session:
            found = board(session, POLICY, now=at, unit_names={}, cache=cache)
        return found.open_cases, found.counted_at

    before, counted = shown(NOW)  # the first view of a filter waits for its counts
    assert counted == NOW
    new_case(engine, title="新案件")
    assert shown(NOW + timedelta(seconds=14)) == (before, NOW)  # the page says when
    assert shown(NOW + timedelta(seconds=15)) == (before, NOW)  # still shown, counted again
    cache.wait()
    assert shown(NOW + timedelta(seconds=16)) == (before + 1, NOW + timedelta(seconds=15))
    shown(NOW)  # the clock went back: counted again too
    cache.wait()
    assert shown(NOW)[1] == NOW
