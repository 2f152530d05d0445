"""What a database error means for an operator, in one line: the database is read-only, locked,
full or gone (the four states serve says once when they start and once when they end), or
another error of the database, with the driver's own first line and never the URL (which may
carry a password). Recognises SQLAlchemy's and the drivers' errors by their text, as both
SQLite and PostgreSQL word them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DatabaseState(StrEnum):
    READ_ONLY = "read_only"
    LOCKED = "locked"
    FULL = "full"
    GONE = "gone"
    ERROR = "error"


STATE_LABELS = {
    DatabaseState.READ_ONLY: "数据库无法写入（只读）",
    DatabaseState.LOCKED: "数据库被锁定",
    DatabaseState.FULL: "数据库磁盘已满",
    DatabaseState.GONE: "无法连接数据库",
    DatabaseState.ERROR: "数据库出错",
}

# Fragments of the drivers' messages, lower case, per state (SQLite first, then PostgreSQL).
_SIGNS = (
    # A file that cannot be written: new connections say read-only, open ones an I/O error.
    (
        DatabaseState.READ_ONLY,
        ("readonly database", "read-only transaction", "read only", "disk i/o error"),
    ),
    (DatabaseState.LOCKED, ("database is locked", "table is locked", "lock timeout")),
    (
        DatabaseState.FULL,
        ("database or disk is full", "no space left", "could not extend file", "disk full"),
    ),
    (
        DatabaseState.GONE,
        (
            "unable to open database",
            "connection refused",
            "could not connect",
            "connection failed",
            "server closed the connection",
            "terminating connection",
            "the database system is",
            "connection is closed",
            "consuming input failed",
            "does not exist",
            "no such file",
        ),
    ),
)


@dataclass(frozen=True)
class DatabaseFault:
    state: DatabaseState
    detail: str  # the driver's first line

    @property
    def line(self) -> str:
        return f"{STATE_LABELS[self.state]}：{self.detail}"[:300]


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def _is_database_error(exc: BaseException) -> bool:
    names = {f"{c.__module__}.{c.__name__}" for c in type(exc).__mro__}
    return any(n.startswith(("sqlalchemy.exc.", "sqlite3.", "psycopg")) for n in names)


def database_fault(exc: BaseException) -> DatabaseFault | None:
    """The database state `exc` shows, or None when it is no database error at all."""
    if not _is_database_error(exc):
        return None
    detail = _first_line(exc)
    text = detail.lower()
    for state, signs in _SIGNS:
        if any(sign in text for sign in signs):
            return DatabaseFault(state, detail)
    return DatabaseFault(DatabaseState.ERROR, detail)


def database_unreachable(exc: BaseException) -> str:
    """One line saying why the database cannot be used: the driver's own words, never the URL
    (which may carry a password)."""
    return f"无法连接数据库：{_first_line(exc)}"[:300]
