"""The organisation as stored: units, people and role assignments, kept in step with the
settings on every start, and the look-ups routing needs: who holds a role (within a case's
units for the unit roles, with the duty roster overlaid), a person's roles and channels, and a
person by id or name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, delete, select

from models.policy import UNIT_ROLES
from models.policy.escalation import recipients
from models.policy.routing import Shift, overlay_roster
from models.store.tables import Person, RoleAssignment, Unit

MENTION_FIELDS = ("mobile", "wecom_userid", "dingtalk_userid", "feishu_open_id")


class UnitLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def external(self) -> bool: ...


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
        session.merge(Unit(id=unit.id, name=unit.name, parent_id=None, external=unit.external))
    session.flush()
    for unit in units:
        session.merge(
            Unit(id=unit.id, name=unit.name, parent_id=unit.parent, external=unit.external)
        )
    for person in people:
        session.merge(
            Person(
                id=person.id,
                name=person.name,
                unit_id=person.unit,
                deputy_id=person.deputy,
                channels=list(person.channels),
                **{name: getattr(person, name, None) for name in MENTION_FIELDS},
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


@dataclass(frozen=True)
class Directory:
    """Who holds which role in which unit, read once to resolve many recipients."""

    assignments: tuple[tuple[str, str, str | None], ...]  # (role, person, unit), stable order

    def holders(
        self, *, units: Sequence[str] = (), shifts: Sequence[Shift] = (), at: datetime
    ) -> dict[str, list[str]]:
        """Role → person ids at `at`: the unit roles (responsible person, liaison) only within
        `units` (a case's responsible units; nobody without them), the others across the
        organisation, then the duty roster overlaid (a rostered role is held by who is on duty)."""
        holders: dict[str, list[str]] = {}
        for role, person, unit in self.assignments:
            if role in UNIT_ROLES and unit not in units:
                continue
            people = holders.setdefault(role, [])
            if person not in people:
                people.append(person)
        return overlay_roster(holders, shifts, at=at)

    def people(
        self,
        roles: Sequence[str],
        *,
        units: Sequence[str] = (),
        shifts: Sequence[Shift] = (),
        at: datetime,
        owner_role: str | None = None,
        assignee: str | None = None,
    ) -> list[str]:
        """The people holding `roles`, in role order, each once; an obligation handed to a
        person (转办) has them in place of its owner role's holders."""
        holders = self.holders(units=units, shifts=shifts, at=at)
        if owner_role is not None and assignee is not None:
            holders[owner_role] = [assignee]
        return recipients(roles, holders=holders)


def directory_of(people: Sequence[PersonLike]) -> Directory:
    """The directory the configuration describes (what `sync_directory` stores), read without
    the database: who holds which role in which unit."""
    rows = sorted((role, p.id, p.unit) for p in people for role in dict.fromkeys(p.roles))
    return Directory(tuple(rows))


def load_directory(session: Session) -> Directory:
    rows = session.exec(
        select(RoleAssignment).order_by(col(RoleAssignment.role), col(RoleAssignment.person_id))
    )
    return Directory(tuple((row.role, row.person_id, row.unit_id) for row in rows))


def role_holders(
    session: Session, *, units: Sequence[str] = (), shifts: Sequence[Shift] = (), at: datetime
) -> dict[str, list[str]]:
    """`Directory.holders` straight from the database."""
    return load_directory(session).holders(units=units, shifts=shifts, at=at)


def roles_of(session: Session, person_id: str) -> set[str]:
    """The roles a person holds (any unit)."""
    query = select(RoleAssignment.role).where(RoleAssignment.person_id == person_id)
    return set(session.exec(query).all())


def find_person(session: Session, ref: str) -> Person | None:
    """A person by id, else by name when exactly one person has it."""
    person = session.get(Person, ref)
    if person is not None:
        return person
    named = session.exec(select(Person).where(Person.name == ref)).all()
    return named[0] if len(named) == 1 else None


def internal_unit(session: Session, unit_id: str) -> Unit | None:
    """A unit of the organisation (not an outside body) by id, else None."""
    unit = session.get(Unit, unit_id)
    return unit if unit is not None and not unit.external else None
