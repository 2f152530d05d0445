"""When something that runs over and over last ran (the sweep), wherever it ran: one row per
name, written by the run itself in its own last transaction, read by `yuqing status`."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models.store.tables import LastRun

TABLE = LastRun.__table__  # type: ignore[attr-defined]


def note_run(session: Session, name: str, *, at: datetime, detail: dict[str, Any]) -> None:
    """`name` ran at `at` and did `detail` (the later of two racing runs wins)."""
    row = {"name": name, "at": at, "host": socket.gethostname()[:200], "detail": detail}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(TABLE).values(row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"at": row["at"], "host": row["host"], "detail": row["detail"]},
            where=TABLE.c.at <= row["at"],
        )
    )


def last_runs(session: Session) -> dict[str, LastRun]:
    return {row.name: row for row in session.exec(select(LastRun))}
