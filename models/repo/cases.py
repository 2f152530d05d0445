"""Repository functions for cases: the refusals (in domain words, with the next step the front
door words as its own command), append to a case's timeline, find an obligation, and read cases
back for the CLI and the console (opening a case is `models.repo.opening`). Keyword-only
functions over a Session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.policy.forms import MAX_ID
from models.policy.states import EventKind, ObligationStatus
from models.store.tables import Case, CaseEvent, Item, Obligation, Person

ORIGIN = "origin"  # the session.info key of the action's origin (see `add_event`)


@dataclass(frozen=True)
class NextStep:
    """What a refused person can do instead, in the catalogue's terms: another action on the case
    (`action`, its catalogue name) with some of its fields, or — no action — a field of the
    refused action that must be filled (one of `fields`). A value of None is left for the person
    to give. The front door words it: the CLI as a command, the console as its forms."""

    action: str | None = None
    case_id: int | None = None
    fields: tuple[tuple[str, str | None], ...] = ()


class CaseError(Exception):
    """A request about a case that cannot be carried out; the message is for office staff, in
    domain words, with the `next_step` it suggests if any."""

    def __init__(self, message: str, *, next_step: NextStep | None = None) -> None:
        super().__init__(message)
        self.next_step = next_step


class CaseNotFound(CaseError):
    """The case named does not exist (or its number could not name one)."""


def add_event(
    session: Session,
    *,
    case_id: int | None,
    kind: EventKind,
    message: str,
    at: datetime,
    actor: str = "system",
    data: dict[str, Any] | None = None,
) -> CaseEvent | None:
    """Append to the case's timeline; events of notifications about no case (a monitoring gap)
    have no timeline: their Delivery rows are the record. A person's entry carries where the
    action came from (`session.info["origin"]`: the console, a link, the command line and its
    OS user), set by the transaction that records the action."""
    if case_id is None:
        return None
    origin = session.info.get(ORIGIN, {}) if actor != "system" else {}
    event = CaseEvent(
        case_id=case_id,
        at=at,
        kind=kind,
        actor=actor,
        message=message,
        data={**origin, **(data or {})},
    )
    session.add(event)
    return event


CLI_ACTOR = "cli"  # the command line acting without a person named (`--by`)


def who(session: Session, actor: str | None) -> str:
    """An actor as people read it: a person's name, 系统 or 命令行."""
    if actor is None or actor == "system":
        return "系统"
    if actor == CLI_ACTOR:
        return "命令行"
    person = session.get(Person, actor)
    return person.name if person is not None else actor


def get_case(session: Session, case_id: int) -> Case:
    # An id past the integer column's range names no case (and would overflow the driver).
    case = session.get(Case, case_id) if 1 <= case_id <= MAX_ID else None
    if case is None:
        raise CaseNotFound(f"案件 {case_id} 不存在")
    return case


def find_obligation(session: Session, *, case_id: int, key: str) -> Obligation:
    """The case's obligation `key`; CaseError naming the case and key when it has none."""
    query = select(Obligation).where(Obligation.case_id == case_id, Obligation.key == key)
    obligation = session.exec(query).first()
    if obligation is None:
        raise CaseError(f"案件 {case_id} 没有事项 {key!r}")
    return obligation


def require_open(obligation: Obligation) -> None:
    """Refuse to act on an obligation that is already completed or cancelled."""
    if obligation.status == ObligationStatus.COMPLETED:
        raise CaseError(f"事项“{obligation.title}”已完成")
    if obligation.status == ObligationStatus.CANCELLED:
        raise CaseError(f"事项“{obligation.title}”已取消")
    if obligation.status == ObligationStatus.WAIVED:
        raise CaseError(f"事项“{obligation.title}”已确认不需要")


def list_cases(session: Session, *, include_closed: bool = False) -> Sequence[Case]:
    query = select(Case)
    if not include_closed:
        query = query.where(col(Case.closed_at).is_(None))
    return session.exec(query.order_by(col(Case.id))).all()


def case_obligations(session: Session, case_id: int) -> Sequence[Obligation]:
    query = select(Obligation).where(Obligation.case_id == case_id)
    return session.exec(query.order_by(col(Obligation.due_at), col(Obligation.id))).all()


def case_timeline(session: Session, case_id: int) -> Sequence[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case_id)
    return session.exec(query.order_by(col(CaseEvent.at), col(CaseEvent.id))).all()


def case_items(session: Session, case_id: int) -> Sequence[Item]:
    return session.exec(select(Item).where(Item.case_id == case_id).order_by(col(Item.id))).all()
