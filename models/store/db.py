"""The engine factory and migrations: SQLite (the embedded default, a file under the data
directory) or PostgreSQL (by URL), one way to open sessions, and `upgrade_database` which applies
the Alembic migrations shipped in `models/migrations`. Alembic is imported only when a migration
is to be applied: a database already at the heads of the shipped migrations (read from their
files) is left alone after one query, so every command starts without it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for SQLite or PostgreSQL; `postgresql://` URLs use the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":  # the data directory, on first use
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _stale_connections)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # Short queries only: no JIT (it compiled for 60-130 ms before the board's page, which
        # the planner over-costs) and no parallel workers (starting them took 130 ms on a busy
        # machine, more than the whole query); this application runs no long analytical ones.
        options = "-c jit=off -c max_parallel_workers_per_gather=0"
        engine = create_engine(parsed, pool_pre_ping=True, connect_args={"options": options})
        event.listen(engine, "handle_error", _stale_connections)
        return engine
    raise ValueError(f"database url: unsupported backend {parsed.get_backend_name()!r}")


# Errors after which a connection is no use even once the database recovers: one opened while
# the SQLite file could not be written stays read-only, a PostgreSQL session begun read-only
# stays so. They are dropped (the pool's others with them) and the next use opens fresh ones.
_STALE = ("readonly database", "read-only transaction", "disk i/o error")


def _stale_connections(context: Any) -> None:
    text = str(context.original_exception).lower()
    if any(sign in text for sign in _STALE):
        context.is_disconnect = True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the CLI, the console) work while a flow writes; FKs are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = url
    return config


_REVISION = re.compile(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\b[^=]*=(.*)$", re.MULTILINE)


@cache
def shipped_heads() -> frozenset[str]:
    """The heads of the shipped migrations: the revisions no other one builds on."""
    revisions: set[str] = set()
    below: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found, down = _REVISION.search(source), _DOWN.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        if down is not None:
            below.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - below)


def schema_revisions(engine: Engine) -> frozenset[str] | None:
    """The revisions the database says it is at (None: it has no migration record yet)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(str(row[0]) for row in rows)
    except DBAPIError as exc:
        if exc.connection_invalidated or "alembic_version" not in str(exc.orig):
            raise  # the database did not answer: say so, do not try to migrate it
        return None


def upgrade_database(url: str) -> None:
    """Apply every migration (every head, should a branch be open); safe on every start, and
    cheap when there is nothing to apply."""
    engine = make_engine(url)
    try:
        current = schema_revisions(engine)
    finally:
        engine.dispose()
    if current == shipped_heads():
        return
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
