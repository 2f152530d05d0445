"""Every row of every yuqing table, as a value two moments can be compared by: a refusal must
leave it exactly as it was. The audit tables (sign-in and link attempts) are left out, since a
refusal is written there on purpose; `audit_counts` counts them instead."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

import models.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

AUDIT = ("linkattempt", "signinattempt")


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Table name → its rows (each as text, sorted), the audit tables aside."""
    state: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in AUDIT:
                continue
            rows = connection.execute(select(table)).all()
            state[table.name] = sorted(repr(tuple(row)) for row in rows)
    return state


def audit_counts(engine: Engine) -> dict[str, int]:
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    with engine.connect() as connection:
        return {
            name: int(
                connection.execute(select(func.count()).select_from(tables[name])).scalar_one()
            )
            for name in AUDIT
        }


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """The tables whose rows differ."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
