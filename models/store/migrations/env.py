"""Alembic environment: migrates the database named by the caller (`upgrade_database(url)`)
against the SQLModel metadata of `models.store.tables`."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel

import models.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from models.store.columns import TextEnum, UTCTimestamp
from models.store.db import make_engine


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations store the plain column types; the decorators only shape values in Python."""
    if type_ == "type" and isinstance(obj, TextEnum):
        return "sa.String(length=40)"
    if type_ == "type" and isinstance(obj, UTCTimestamp):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("no database url given to the migrations")

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
