"""Items that are pushed to us or registered by hand, as opposed to collected: a referral or a
hotline/petition record arriving at the intake endpoint (idempotent by the sender's external
id), and a manual registration by an officer (always a case, topic or not). Both go through
the same `store_items` as collected items, so dedup, clustering and grading are the same."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from models.parse.entries import FeedItem
from models.parse.topics import Topic
from models.parse.urls import canonical_url
from models.policy import Policy, WorkCalendar
from models.repo.items import StoreContext, store_items
from models.repo.sources import MANUAL_SOURCE
from models.store.tables import Item


@dataclass(frozen=True)
class Intake:
    """Where an item went: its case (None when it concerns no topic) and whether it was new."""

    item_id: int
    case_id: int | None
    created: bool


def ingest_item(
    session: Session,
    *,
    source_id: str,
    item: FeedItem,
    topics: tuple[Topic, ...],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    media_level: str = "local",
    similarity: float = 0.5,
    window: timedelta = timedelta(hours=72),
    force_case: bool = False,
    category: str | None = None,
) -> Intake:
    """Store one pushed or registered item; a second push of the same id changes nothing new."""
    ctx = StoreContext(
        source_id=source_id,
        topics=topics,
        policy=policy,
        calendar=calendar,
        now=now,
        media_level=media_level,
        similarity=similarity,
        window=window,
        force_case=force_case,
        category=category,
    )
    result = store_items(session, items=[item], ctx=ctx)
    query = select(Item).where(Item.source_id == source_id, Item.external_id == item.external_id)
    if item.external_id is None or source_id == MANUAL_SOURCE:
        query = select(Item).where(Item.canonical_url == canonical_url(item.url))
    row = session.exec(query).first()
    assert row is not None and row.id is not None
    return Intake(item_id=row.id, case_id=row.case_id, created=result.new_items == 1)


def register_manual_item(
    session: Session,
    *,
    title: str,
    text: str,
    actor: str,
    topics: tuple[Topic, ...],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    url: str | None = None,
    occurred_at: datetime | None = None,
    category: str | None = None,
    clicks: int = 0,
    comments: int = 0,
) -> Intake:
    """An officer registers what they saw (a WeChat group post, a phone call): a case always
    results, joining a similar open case when there is one."""
    item = FeedItem(
        url=url or f"urn:yuqing:{MANUAL_SOURCE}:{uuid.uuid4().hex}",
        title=title,
        summary=text,
        published_at=occurred_at,
        clicks=clicks,
        comments=comments,
        author=actor,
        external_id=None,
    )
    return ingest_item(
        session,
        source_id=MANUAL_SOURCE,
        item=item,
        topics=topics,
        policy=policy,
        calendar=calendar,
        now=now,
        force_case=True,
        category=category,
    )
