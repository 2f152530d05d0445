"""Moving an obligation along its no-completion chain, shared by the sweep (a level falls due)
and 上报 (a person climbs a level now): the move itself, compare-and-set in one statement per
chunk of obligations (two sweepers never fire a level twice), the roles a level reaches, and the
people holding them for a case. Which level fires when is pure policy
(`models.policy.escalation`); who holds a role, `models.repo.directory`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, literal, or_, true, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from models.policy import Policy
from models.policy.routing import Routing
from models.policy.states import ObligationStatus
from models.repo.directory import Directory
from models.store.tables import Case, Obligation

OBLIGATIONS = Obligation.__table__  # type: ignore[attr-defined]
MOVE_CHUNK = 300  # obligations per statement: well under both backends' parameter limits


@dataclass(frozen=True)
class Move:
    """An obligation's chain moving from its current level to `to_level`, marking its reminder
    done at `reminded_at` when given."""

    obligation: Obligation
    to_level: int
    next_check_at: datetime | None
    reminded_at: datetime | None = None


def advance_levels(session: Session, moves: Sequence[Move]) -> set[int]:
    """Apply the moves with compare-and-set (the level it was read at, still open, the reminder
    not done yet when marking it), one statement per chunk; the ids of those moved. Someone else
    moved the rest first. The session's objects get the new values without another read."""
    moved: set[int] = set()
    for start in range(0, len(moves), MOVE_CHUNK):
        moved |= _advance_chunk(session, moves[start : start + MOVE_CHUNK])
    for move in moves:
        if move.obligation.id in moved:
            set_committed_value(move.obligation, "level", move.to_level)
            set_committed_value(move.obligation, "next_check_at", move.next_check_at)
            if move.reminded_at is not None:
                set_committed_value(move.obligation, "reminded_at", move.reminded_at)
    return moved


def _advance_chunk(session: Session, moves: Sequence[Move]) -> set[int]:
    by_id = {m.obligation.id: m for m in moves}
    marking = [i for i, m in by_id.items() if m.reminded_at is not None]
    o, stamp = OBLIGATIONS.c, OBLIGATIONS.c.next_check_at.type

    def per_row(values: dict[int | None, Any], otherwise: Any = None) -> Any:
        whens = {
            i: literal(v, stamp) if isinstance(v, datetime) or v is None else v
            for i, v in values.items()
        }
        return case(whens, value=o.id, else_=otherwise)

    reminder_free = or_(o.id.not_in(marking), o.reminded_at.is_(None)) if marking else true()
    statement = (
        update(OBLIGATIONS)
        .where(
            o.id.in_(list(by_id)),
            o.status == ObligationStatus.OPEN,
            o.level == case({i: m.obligation.level for i, m in by_id.items()}, value=o.id),
            reminder_free,
        )
        .values(
            level=case({i: m.to_level for i, m in by_id.items()}, value=o.id),
            next_check_at=per_row({i: m.next_check_at for i, m in by_id.items()}),
            reminded_at=per_row({i: by_id[i].reminded_at for i in marking}, o.reminded_at)
            if marking
            else o.reminded_at,
        )
        .returning(o.id)
    )
    return set(session.execute(statement).scalars())


def level_roles(
    policy: Policy, routing: Routing, case: Case, obligation: Obligation, level: int
) -> tuple[str, ...]:
    """The roles a level of the obligation's chain reaches: the rung's (its owner in place of
    `owner`) and, for a dual-reporting grade, the second line's."""
    grade = policy.scheme.level(case.grade).id
    rung = policy.chain_level(level, policy.chain_for(grade, obligation.key))
    roles = rung.recipients(obligation.owner_role) + routing.second_roles(grade, level)
    return tuple(dict.fromkeys(roles))


def chain_people(
    directory: Directory,
    roles: Sequence[str],
    case: Case,
    obligation: Obligation,
    routing: Routing,
    now: datetime,
) -> list[str]:
    """Who holds `roles` for this case's obligation at `now` (its units, the duty roster, the
    person it was handed to in place of its owner role)."""
    return directory.people(
        roles,
        units=case.units,
        shifts=routing.shifts,
        at=now,
        owner_role=obligation.owner_role,
        assignee=obligation.assignee_id,
    )
