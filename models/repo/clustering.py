"""Clustering items into cases: a new item that concerns a topic joins the case of a similar
item (MinHash, `models.parse.dedup`) seen within the window, when that case is open; a closed case
still in its aftercare window (`policy.aftercare`) reopens; otherwise the item opens a case.
Repository functions over a Session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.parse.dedup import LshIndex, Signature
from models.parse.entries import FeedItem
from models.parse.topics import Topic
from models.policy import IllegalTransition, Policy, PolicyError, WorkCalendar
from models.policy.states import EventKind
from models.repo.cases import add_event, get_case
from models.repo.lifecycle import advance
from models.repo.opening import open_case
from models.store.tables import Case, Item


@dataclass
class ClusterIndex:
    """Signatures of recent items in cases, and which case each belongs to."""

    lsh: LshIndex
    case_of: dict[Hashable, int] = field(default_factory=dict)

    def add(self, key: Hashable, sig: Signature, case_id: int) -> None:
        self.lsh.add(key, sig)
        self.case_of[key] = case_id

    def similar_case(self, sig: Signature) -> int | None:
        found = self.lsh.best(sig)
        return None if found is None else self.case_of[found[0]]


def load_index(
    session: Session, *, now: datetime, window: timedelta, threshold: float
) -> ClusterIndex:
    """The index over items in cases fetched within `window` before `now`."""
    index = ClusterIndex(LshIndex(threshold))
    rows = session.exec(
        select(Item.id, Item.case_id, Item.signature).where(
            col(Item.case_id).is_not(None),
            col(Item.signature).is_not(None),
            col(Item.fetched_at) >= now - window,
        )
    ).all()
    for item_id, case_id, sig in rows:
        if case_id is not None and sig:
            index.add(("db", item_id), tuple(sig), case_id)
    return index


@dataclass(frozen=True)
class Placement:
    case_id: int
    how: str  # opened, attached, reopened


def place_item(
    session: Session,
    *,
    item: FeedItem,
    topic: Topic | None,
    similar_case: int | None,
    grade: str,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    category: str | None = None,
) -> Placement:
    """Attach the item to the similar case (reopening it in aftercare) or open a new case."""
    if similar_case is not None:
        case = get_case(session, similar_case)
        if case.closed_at is None:
            return Placement(similar_case, "attached")
        if _reopen(session, case, policy=policy, calendar=calendar, now=now, title=item.title):
            return Placement(similar_case, "reopened")
    topic_note = f"，命中专题 {topic.id}" if topic is not None else ""
    case = open_case(
        session,
        title=item.title,
        grade=grade,
        policy=policy,
        calendar=calendar,
        discovered_at=now,
        occurred_at=item.occurred_at,
        posted_at=item.published_at,
        topic_id=topic.id if topic is not None else None,
        category=category or (topic.category if topic is not None else None),
        reason=topic_note,
    )
    assert case.id is not None
    return Placement(case.id, "opened")


def _reopen(
    session: Session,
    case: Case,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    title: str,
) -> bool:
    assert case.id is not None
    try:
        advance(
            session,
            case_id=case.id,
            event="reopen",
            actor="system",
            at=now,
            policy=policy,
            calendar=calendar,
        )
    except (IllegalTransition, PolicyError):
        return False  # past aftercare (or not reopenable): the item opens a new case
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.REOPENED,
        at=now,
        message=f"善后期内出现相关新信息，案件重新打开：{title}",
        data={"reason": "similar item in aftercare"},
    )
    return True
