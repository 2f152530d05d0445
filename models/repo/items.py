"""Storing collected items, a whole batch in the caller's transaction: canonical URLs so the
same page is stored once (a page seen again updates its clicks, comments and reposts, which can
move its case's grade); an external id so a pushed record is stored once; folded text matched
against the topics; and each new matching item placed in a case (`models.repo.clustering`). New
rows go in with Core executemany: per-row ORM objects cost ten times as much."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel

from models.parse.dedup import signature
from models.parse.entries import FeedItem
from models.parse.text import fold
from models.parse.topics import Topic, match_folded
from models.parse.urls import canonical_url
from models.policy import CaseMetrics, Policy, WorkCalendar, evaluate_grade
from models.policy.spread import site_of
from models.policy.states import EventKind
from models.repo.cases import add_event
from models.repo.clustering import ClusterIndex, load_index, place_item

CHUNK = 900  # bound parameters per IN (...) list


def opening_grade(
    item: FeedItem, topic: Topic | None, policy: Policy, proposed: str | None = None
) -> str:
    """The grade the item's metrics call for, raised to the topic's hint or the grade a
    registrar proposed when more severe."""
    metrics = CaseMetrics(clicks=item.clicks, comments=item.comments, reposts=item.reposts)
    grade = evaluate_grade(policy.scheme, metrics)
    for floor in (topic.grade_hint if topic else None, proposed):
        if floor is not None and policy.scheme.level(floor).rank < policy.scheme.level(grade).rank:
            grade = policy.scheme.level(floor).id
    return grade


@dataclass(frozen=True)
class StoreContext:
    """What a batch is stored with: the source, its media level, topics and clustering rules."""

    source_id: str
    topics: Sequence[Topic]
    policy: Policy
    calendar: WorkCalendar
    now: datetime
    media_level: str = "local"
    similarity: float = 0.5
    window: timedelta = timedelta(hours=72)
    force_case: bool = False  # manual registration: a case even without a topic
    category: str | None = None
    grade: str | None = None  # manual registration: the grade the registrar proposed


@dataclass
class StoreResult:
    new_items: int = 0
    updated: int = 0
    duplicates: int = 0
    cases_opened: list[int] = field(default_factory=list)
    cases_attached: list[int] = field(default_factory=list)
    cases_reopened: list[int] = field(default_factory=list)
    item_cases: dict[str, int | None] = field(default_factory=dict)  # canonical URL → case


def store_items(session: Session, *, items: Sequence[FeedItem], ctx: StoreContext) -> StoreResult:
    """Store the batch: new items inserted, known ones' metrics raised, matches placed in cases."""
    result = StoreResult()
    batch: dict[str, FeedItem] = {}
    for item in items:
        batch.setdefault(canonical_url(item.url), item)
    known = _known(session, ctx.source_id, batch)
    result.duplicates = len(items) - len(batch)
    result.updated = _raise_metrics(session, batch, known)
    result.duplicates += len(known)
    rows: list[dict[str, Any]] = []
    index: ClusterIndex | None = None
    for canon, item in batch.items():
        if canon in known:
            result.item_cases[canon] = known[canon][4]
            continue
        folded = fold(f"{item.title}\n{item.summary}")
        topic = match_folded(folded, ctx.topics)
        row = _row(item, canon, ctx)
        if topic is not None or ctx.force_case:
            if index is None:
                index = load_index(
                    session, now=ctx.now, window=ctx.window, threshold=ctx.similarity
                )
            _cluster(session, item, row, folded, topic, index, ctx, result)
        result.item_cases[canon] = row["case_id"]
        rows.append(row)
    _insert(session, rows)
    result.new_items = len(rows)
    return result


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the rows in order with Core executemany, in runs: the rows of items in no case
    (most) leave out their signature, which stays SQL NULL instead of JSON `null`."""
    for _, run in itertools.groupby(rows, key=lambda row: "signature" in row):
        session.execute(ITEMS.insert(), list(run))


def _cluster(
    session: Session,
    item: FeedItem,
    row: dict[str, Any],
    folded: str,
    topic: Topic | None,
    index: ClusterIndex,
    ctx: StoreContext,
    result: StoreResult,
) -> None:
    sig = signature(folded)
    placed = place_item(
        session,
        item=item,
        topic=topic,
        similar_case=index.similar_case(sig) if sig else None,
        grade=opening_grade(item, topic, ctx.policy, ctx.grade),
        policy=ctx.policy,
        calendar=ctx.calendar,
        now=ctx.now,
        category=ctx.category,
    )
    {"opened": result.cases_opened, "attached": result.cases_attached}.get(
        placed.how, result.cases_reopened
    ).append(placed.case_id)
    index.add(("new", row["canonical_url"]), sig, placed.case_id)
    row.update(case_id=placed.case_id, topic_id=topic.id if topic else None, signature=list(sig))
    add_event(
        session,
        case_id=placed.case_id,
        kind=EventKind.ITEM_ATTACHED,
        at=ctx.now,
        message=f"信息来源：{item.title} {item.url}（{row['site']}，点击 {item.clicks}，"
        f"评论 {item.comments}，转发 {item.reposts}）",
        data={"url": item.url, "source": ctx.source_id, "how": placed.how},
    )


def _row(item: FeedItem, canon: str, ctx: StoreContext) -> dict[str, Any]:
    return {
        "source_id": ctx.source_id,
        "canonical_url": canon,
        "url": item.url,
        "title": item.title[:1000],
        "summary": item.summary,
        "published_at": item.published_at,
        "fetched_at": ctx.now,
        "topic_id": None,
        "clicks": item.clicks,
        "comments": item.comments,
        "reposts": item.reposts,
        "case_id": None,
        "external_id": item.external_id,
        "author": item.author,
        "site": site_of(item.url, item.site),
        "media_level": item.media_level or ctx.media_level,
    }


Known = tuple[Any, ...]  # id, clicks, comments, reposts, case
ITEMS = SQLModel.metadata.tables["item"]


def _known(session: Session, source_id: str, batch: dict[str, FeedItem]) -> dict[str, Known]:
    """Stored items of the batch by canonical URL (or, for records with an id, by that id)."""
    known: dict[str, Known] = {}
    t = ITEMS.c
    cols = (t.id, t.clicks, t.comments, t.reposts, t.case_id)
    for chunk in _chunks(list(batch)):
        rows = session.execute(sa_select(t.canonical_url, *cols).where(t.canonical_url.in_(chunk)))
        known.update({row[0]: tuple(row[1:]) for row in rows})
    by_id = {item.external_id: canon for canon, item in batch.items() if item.external_id}
    for chunk in _chunks(list(by_id)):
        query = sa_select(t.external_id, *cols).where(
            t.source_id == source_id, t.external_id.in_(chunk)
        )
        known.update({by_id[row[0]]: tuple(row[1:]) for row in session.execute(query)})
    return known


def _raise_metrics(session: Session, batch: dict[str, FeedItem], known: dict[str, Known]) -> int:
    """Counts only grow: a page seen again with more clicks (etc.) updates its row."""
    changes = []
    for canon, (item_id, clicks, comments, reposts, _) in known.items():
        item = batch[canon]
        new = (max(clicks, item.clicks), max(comments, item.comments), max(reposts, item.reposts))
        if new != (clicks, comments, reposts):
            changes.append({"item_id": item_id, "c1": new[0], "c2": new[1], "c3": new[2]})
    if changes:
        session.execute(
            update(ITEMS)
            .where(ITEMS.c.id == bindparam("item_id"))
            .values(clicks=bindparam("c1"), comments=bindparam("c2"), reposts=bindparam("c3")),
            changes,
        )
    return len(changes)


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
