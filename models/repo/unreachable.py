"""The people none of whose channels delivers, in the database: the dispatcher notes who became
unreachable and who was reached again as it records a group of sends (`note_reach`, in that
transaction); the escalation runbook then tells the office roles and the duty officer, once
when it starts and once when it ends (`tell`, returning the notices, which the caller queues in
the same transaction). A person reached again before anyone was told is forgotten without a
word. `on_case` is what a case shows: who its alerts cannot reach now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models.policy.notices import Notice, NoticeKind
from models.policy.routing import Routing
from models.policy.states import NotificationStatus
from models.policy.unreachable import reached_lines, unreachable_lines
from models.repo.directory import load_directory
from models.store.tables import Case, Notification, Person, Unreachable

TABLE = Unreachable.__table__  # type: ignore[attr-defined]
U = TABLE.c


def note_reach(
    session: Session, *, unreachable: Mapping[str, datetime], reached: Mapping[str, datetime]
) -> None:
    """`unreachable`: person → when every channel failed (again); `reached`: person → when an
    alert reached them."""
    for person, at in unreachable.items():
        if person in reached and reached[person] >= at:
            continue  # reached within the same group: nothing to tell
        done = session.execute(
            update(TABLE).where(U.person_id == person).values(last_failure_at=at, reached_at=None)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            _insert_new(session, person, at)
    for person, at in reached.items():
        session.execute(delete(TABLE).where(U.person_id == person, U.told_at.is_(None)))
        session.execute(
            update(TABLE).where(U.person_id == person, U.reached_at.is_(None)).values(reached_at=at)
        )


def _insert_new(session: Session, person: str, at: datetime) -> None:
    """Insert the person's row (two dispatchers racing: the first one wins)."""
    row = {"person_id": person, "since": at, "last_failure_at": at}
    name = session.get_bind().dialect.name
    if name == "postgresql":
        session.execute(postgresql.insert(TABLE).on_conflict_do_nothing(), [row])
    elif name == "sqlite":
        session.execute(sqlite.insert(TABLE).on_conflict_do_nothing(), [row])
    else:  # pragma: no cover - the two backends yuqing supports are above
        session.execute(insert(TABLE), [row])


def pending_telling(session: Session) -> datetime | None:
    """When the earliest outage start or end not yet told happened (None: nothing to tell)."""
    untold = (U.told_at.is_(None) & U.reached_at.is_(None)) | (
        U.told_at.is_not(None) & U.reached_at.is_not(None)
    )
    found: datetime | None = session.execute(
        select(U.last_failure_at).where(untold).order_by(U.last_failure_at).limit(1)
    ).scalar()
    return found


@dataclass(frozen=True)
class Telling:
    """Who must hear of whom, and what."""

    roles: Sequence[str]
    routing: Routing
    give_up_after: timedelta
    tz: ZoneInfo


def tell(session: Session, *, now: datetime, telling: Telling) -> list[Notice]:
    """The notices for every outage not yet told (the office roles and the duty officer on
    duty, never the person themselves), marking them told; outages whose end is now told are
    forgotten."""
    rows = session.exec(
        select(Unreachable).where(
            (col(Unreachable.told_at).is_(None) & col(Unreachable.reached_at).is_(None))
            | (col(Unreachable.told_at).is_not(None) & col(Unreachable.reached_at).is_not(None))
        )
    ).all()
    if not rows:
        return []
    directory = load_directory(session)
    holders = directory.people(telling.roles, shifts=telling.routing.shifts, at=now)
    notices = []
    for row in rows:
        person = session.get(Person, row.person_id)
        name = person.name if person is not None else row.person_id
        people = tuple(p for p in holders if p != row.person_id)
        stamp = int(row.since.timestamp())
        if row.reached_at is None:
            lines = _outage_lines(session, row, person, telling)
            occasion, headline = f"unreachable:{row.person_id}:{stamp}", f"无法联系：{name}"
            row.told_at = now
            session.add(row)
        else:
            lines = reached_lines(name=name, since=row.since, reached=row.reached_at)
            occasion, headline = f"reached:{row.person_id}:{stamp}", f"恢复联系：{name}"
            session.delete(row)
        notices.append(
            Notice(
                kind=NoticeKind.UNREACHABLE,
                occasion=occasion,
                headline=headline,
                people=people,
                lines=lines,
            )
        )
    return notices


def _outage_lines(
    session: Session, row: Unreachable, person: Person | None, telling: Telling
) -> tuple[str, ...]:
    waiting = session.exec(
        select(Notification.case_id, Case.title)
        .join(Case, col(Case.id) == Notification.case_id, isouter=True)
        .where(
            Notification.recipient_id == row.person_id,
            col(Notification.status).in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
        )
    ).all()
    cases = list(dict.fromkeys((i, t or "") for i, t in waiting if i is not None))
    return unreachable_lines(
        name=person.name if person is not None else row.person_id,
        channels=list(person.channels) if person is not None else [],
        since=row.since,
        cases=cases,
        waiting=len(waiting),
        give_up_at=row.since + telling.give_up_after,
        tz=telling.tz,
    )


@dataclass(frozen=True)
class CaseUnreachable:
    """Someone a case's alerts cannot reach now: who, since when, and when it is tried next."""

    person: str
    name: str
    since: datetime
    rounds: int
    retry_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "person": self.person,
            "name": self.name,
            "since": self.since,
            "rounds": self.rounds,
            "retry_at": self.retry_at,
        }


def on_case(session: Session, case_id: int) -> list[CaseUnreachable]:
    """The people the case's unsent alerts cannot reach now (every channel failed), earliest
    first, each once."""
    rows = session.exec(
        select(Notification, Person.name)
        .join(Person, col(Person.id) == Notification.recipient_id)
        .where(
            Notification.case_id == case_id,
            col(Notification.unreachable_since).is_not(None),
            col(Notification.status).in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
        )
        .order_by(col(Notification.unreachable_since))
    ).all()
    found: dict[str, CaseUnreachable] = {}
    for row, name in rows:
        assert row.unreachable_since is not None
        since, retry = row.unreachable_since, row.next_attempt_at
        found.setdefault(
            row.recipient_id, CaseUnreachable(row.recipient_id, name, since, row.rounds, retry)
        )
    return list(found.values())
