"""The SQLModel tables: the organisation (units, people, roles), sources and items, cases with
their append-only timeline, obligations (deadlines), and the notification outbox with its
delivery attempts. Tables hold state only; the rules live in `models.policy`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import TextEnum, UTCTimestamp
from models.policy import Stage
from models.states import EventKind, NotificationStatus, ObligationStatus, RunStatus, SourceKind


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCTimestamp, nullable=nullable, index=index)


class Unit(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    parent_id: str | None = Field(default=None, foreign_key="unit.id")


class Person(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    unit_id: str | None = Field(default=None, foreign_key="unit.id")
    deputy_id: str | None = Field(default=None, max_length=64)
    # Channel ids in order of preference; their Apprise URLs are secrets and never stored here.
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RoleAssignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "role", "unit_id", name="uq_role_assignment"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=40, index=True)
    unit_id: str | None = Field(default=None, foreign_key="unit.id")


class Source(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    kind: SourceKind = Field(sa_type=TextEnum(SourceKind))
    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_run_at: datetime | None = _ts(nullable=True)
    last_status: RunStatus | None = Field(default=None, sa_type=TextEnum(RunStatus))
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0


class Case(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    stage: Stage = Field(sa_type=TextEnum(Stage))
    grade: str = Field(max_length=32)
    policy_id: str = Field(max_length=64)
    topic_id: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=32)
    discovered_at: datetime = _ts()
    occurred_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)


class Item(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    canonical_url: str = Field(unique=True)
    url: str
    title: str
    summary: str = Field(default="", sa_type=Text)
    published_at: datetime | None = _ts(nullable=True)
    fetched_at: datetime = _ts()
    topic_id: str | None = Field(default=None, max_length=64)
    clicks: int = 0
    comments: int = 0
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)


class CaseEvent(SQLModel, table=True):
    """One entry of a case's append-only timeline."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    at: datetime = _ts()
    kind: EventKind = Field(sa_type=TextEnum(EventKind))
    actor: str = Field(default="system", max_length=64)
    message: str = Field(sa_type=Text)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Obligation(SQLModel, table=True):
    """Something that must happen on a case by a due time, and how far its escalation has gone."""

    __table_args__ = (
        UniqueConstraint("case_id", "key", name="uq_obligation_case_key"),
        # The sweep asks "open and due by now": its cost follows the number due, not pending.
        Index("ix_obligation_status_next_check", "status", "next_check_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    key: str = Field(max_length=64)
    title: str
    owner_role: str = Field(max_length=40)
    anchor: str = Field(max_length=40)
    anchor_at: datetime = _ts()
    clock: str = Field(max_length=20)
    due_at: datetime = _ts()
    provisional: bool = False
    status: ObligationStatus = Field(
        default=ObligationStatus.OPEN, sa_type=TextEnum(ObligationStatus)
    )
    level: int = 0  # the highest escalation level already fired
    next_check_at: datetime | None = _ts(nullable=True)
    acked_at: datetime | None = _ts(nullable=True)
    acked_by: str | None = Field(default=None, max_length=64)
    completed_at: datetime | None = _ts(nullable=True)
    completed_by: str | None = Field(default=None, max_length=64)


class Notification(SQLModel, table=True):
    """The outbox: written in the same transaction as the lapse that causes it, sent later."""

    id: str = Field(primary_key=True, max_length=36)  # stable notification id, in every message
    key: str = Field(unique=True, max_length=200)  # case:obligation:level:recipient:channel
    case_id: int = Field(foreign_key="case.id", index=True)
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id")
    level: int
    recipient_id: str = Field(foreign_key="person.id")
    channel: str = Field(max_length=64)
    subject: str
    body: str = Field(sa_type=Text)
    status: NotificationStatus = Field(
        default=NotificationStatus.PENDING, sa_type=TextEnum(NotificationStatus), index=True
    )
    attempts: int = 0
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)


class Delivery(SQLModel, table=True):
    """One attempt to deliver a notification, with what the channel answered."""

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notification.id", index=True)
    attempt: int
    at: datetime = _ts()
    channel: str = Field(max_length=64)
    ok: bool
    detail: str = Field(default="", sa_type=Text)
