"""The organisation as stored: units, people and role assignments, kept in step with the
settings on every start, and the look-ups routing needs (who holds a role, a person's channels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlmodel import Session, col, delete, select

from models.store.tables import Person, RoleAssignment, Unit


class UnitLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str | None: ...


class PersonLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def roles(self) -> Sequence[str]: ...
    @property
    def channels(self) -> Sequence[str]: ...
    @property
    def deputy(self) -> str | None: ...


def sync_directory(
    session: Session, *, units: Sequence[UnitLike], people: Sequence[PersonLike]
) -> None:
    """Make the stored units, people and roles match the configuration (people are never deleted:
    the timeline refers to them; a person no longer configured simply holds no role)."""
    for unit in units:
        session.merge(Unit(id=unit.id, name=unit.name, parent_id=None))
    session.flush()
    for unit in units:
        session.merge(Unit(id=unit.id, name=unit.name, parent_id=unit.parent))
    for person in people:
        session.merge(
            Person(
                id=person.id,
                name=person.name,
                unit_id=person.unit,
                deputy_id=person.deputy,
                channels=list(person.channels),
            )
        )
    session.flush()
    wanted = {(p.id, role, p.unit) for p in people for role in p.roles}
    stored = session.exec(
        select(RoleAssignment.person_id, RoleAssignment.role, RoleAssignment.unit_id)
    ).all()
    if set(stored) == wanted and len(stored) == len(wanted):
        return  # unchanged: write nothing, so processes starting together never collide
    session.exec(delete(RoleAssignment))
    for person in people:
        for role in dict.fromkeys(person.roles):
            session.add(RoleAssignment(person_id=person.id, role=role, unit_id=person.unit))


def role_holders(session: Session) -> dict[str, list[str]]:
    """Role → person ids, in a stable order."""
    holders: dict[str, list[str]] = {}
    rows = session.exec(
        select(RoleAssignment).order_by(col(RoleAssignment.role), col(RoleAssignment.person_id))
    )
    for row in rows:
        holders.setdefault(row.role, []).append(row.person_id)
    return holders


def person_channels(session: Session, person_id: str) -> list[str]:
    person = session.get(Person, person_id)
    return list(person.channels) if person else []
