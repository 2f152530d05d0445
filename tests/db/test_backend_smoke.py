"""Proves the ``database_url`` fixture on each backend using SQLAlchemy alone, so it holds
whatever state the application's models are in: each test starts from an empty database of its
own, a timezone-aware datetime survives a round trip (as the same instant on PostgreSQL; as the
same wall-clock time without an offset on SQLite, which stores none), and the ``postgresql``
backend really is a PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

BEIJING = timezone(timedelta(hours=8))

pytestmark = pytest.mark.empty_database


@pytest.fixture
def db(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _backend(engine: sa.Engine) -> str:
    return engine.url.get_backend_name()


def _assert_empty(engine: sa.Engine) -> None:
    # Both tests below create tables; if databases were shared, one of them would see the other's.
    assert sa.inspect(engine).get_table_names() == []


def test_backend_is_the_one_named(db: sa.Engine, request: pytest.FixtureRequest) -> None:
    backend = request.node.callspec.params["database_url"]
    assert _backend(db) == backend
    with db.connect() as conn:
        if backend == "postgresql":
            version = conn.exec_driver_sql("SELECT version()").scalar_one()
            assert version.startswith("PostgreSQL "), version
            assert int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) >= 130000
        else:
            assert conn.exec_driver_sql("SELECT sqlite_version()").scalar_one()


def test_timezone_aware_datetime_round_trip(db: sa.Engine) -> None:
    _assert_empty(db)
    metadata = sa.MetaData()
    events = sa.Table(
        "smoke_event",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
    )
    metadata.create_all(db)
    when = datetime(2026, 10, 1, 9, 30, 15, 123456, tzinfo=BEIJING)

    with db.begin() as conn:
        conn.execute(sa.insert(events).values(title="舆情 smoke", happened_at=when))
    with db.connect() as conn:
        title, got = conn.execute(sa.select(events.c.title, events.c.happened_at)).one()

    assert title == "舆情 smoke"
    if _backend(db) == "postgresql":
        # timestamptz keeps the instant; the private server's session time zone is UTC.
        assert got.tzinfo is not None
        assert got == when
    else:
        assert got == when.replace(tzinfo=None)


def test_each_test_gets_an_empty_database(db: sa.Engine) -> None:
    _assert_empty(db)
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE smoke_marker (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO smoke_marker (id) VALUES (1)")
    with db.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM smoke_marker").scalar_one() == 1
