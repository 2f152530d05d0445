"""The tables of what people decided on a case besides its stages: a leader's instruction (批示,
relayed to the units and the office; in the 快报 and the case file) and a correction (更正: a
responsible unit added or changed, the category or grade corrected, a stage moved back), each
with its reason, who and when — part of the accountability evidence. Registered on the
metadata by `models.store.tables`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from models.store.columns import UTCTimestamp


def _ts(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_type=UTCTimestamp, nullable=nullable)


class Instruction(SQLModel, table=True):
    """批示 / 签批: a leader's instruction on a case, on the record as given."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    text: str = Field(sa_type=Text)
    given_by: str = Field(max_length=64)
    at: datetime = _ts()


class Correction(SQLModel, table=True):
    """更正: what was changed on a case after the fact, from what to what, why, by whom, and
    who consented where a consent is needed (a stage moved back: the office head)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=20)  # units | category | grade | stage
    before: str = Field(default="", sa_type=Text)
    after: str = Field(default="", sa_type=Text)
    reason: str = Field(sa_type=Text)
    corrected_by: str = Field(max_length=64)
    approved_by: str | None = Field(default=None, max_length=64)
    at: datetime = _ts()
