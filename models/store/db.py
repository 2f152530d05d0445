"""The engine factory and migrations: SQLite (the embedded default, a file under the data
directory) or PostgreSQL (by URL), one way to open sessions, and `upgrade_database` which applies
the Alembic migrations shipped in `models/migrations`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

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
        return engine
    if parsed.get_backend_name() == "postgresql":
        # Short queries only: no JIT (it compiled for 60-130 ms before the board's page, which
        # the planner over-costs) and no parallel workers (starting them took 130 ms on a busy
        # machine, more than the whole query); this application runs no long analytical ones.
        options = "-c jit=off -c max_parallel_workers_per_gather=0"
        return create_engine(parsed, pool_pre_ping=True, connect_args={"options": options})
    raise ValueError(f"database url: unsupported backend {parsed.get_backend_name()!r}")


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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = url
    return config


def upgrade_database(url: str) -> None:
    """Apply every migration (every head, should a branch be open); safe on every start."""
    command.upgrade(alembic_config(url), "heads")
