"""Items that are pushed to us, as opposed to collected: a referral or a hotline/petition record
arriving at the intake endpoint (a manual registration by an officer is
`models.repo.registration`). Both go through the same `store_items` as collected items, so
dedup, clustering and grading are the same.

A pushed record is idempotent by its sender's id: each one is kept as an `IntakeReceipt` (source,
external id → item). A new id about a page already stored (collected from a feed, or pushed
under another id) attaches to that page's item, and to its case's timeline, instead of storing
the page twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from models.parse.entries import FeedItem
from models.parse.topics import Topic
from models.parse.urls import canonical_url
from models.policy import Policy, WorkCalendar
from models.policy.states import EventKind
from models.repo.cases import add_event
from models.repo.items import StoreContext, store_items
from models.store.tables import IntakeReceipt, Item


@dataclass(frozen=True)
class Intake:
    """Where a record went: its item, the item's case (None when it concerns no topic), whether
    the record was new (a first push of its id) and whether its page was new to us."""

    item_id: int
    case_id: int | None
    created: bool
    new_item: bool = False


@dataclass(frozen=True)
class IntakeContext:
    """What a pushed record is stored with (the same rules as a collected item)."""

    source_id: str
    topics: tuple[Topic, ...]
    policy: Policy
    calendar: WorkCalendar
    now: datetime
    media_level: str = "local"
    similarity: float = 0.5
    window: timedelta = timedelta(hours=72)


def receive_record(session: Session, *, item: FeedItem, ctx: IntakeContext) -> Intake:
    """Store one pushed record; the same sender id again changes nothing. The caller commits (a
    concurrent push of the same id fails the commit on the receipt's unique key: try again)."""
    if item.external_id is None:
        raise ValueError("a pushed record needs its sender's id")
    known = _receipt(session, ctx.source_id, item.external_id)
    if known is not None:
        return Intake(item_id=known.id or 0, case_id=known.case_id, created=False)
    store = StoreContext(
        source_id=ctx.source_id,
        topics=ctx.topics,
        policy=ctx.policy,
        calendar=ctx.calendar,
        now=ctx.now,
        media_level=ctx.media_level,
        similarity=ctx.similarity,
        window=ctx.window,
    )
    stored = store_items(session, items=[item], ctx=store)
    row = session.exec(select(Item).where(Item.canonical_url == canonical_url(item.url))).one()
    assert row.id is not None
    session.add(
        IntakeReceipt(
            source_id=ctx.source_id,
            external_id=item.external_id,
            item_id=row.id,
            received_at=ctx.now,
        )
    )
    if not stored.new_items:  # a page we had: the referral is news on its case's timeline
        add_event(
            session,
            case_id=row.case_id,
            kind=EventKind.ITEM_ATTACHED,
            at=ctx.now,
            message=f"收到转办记录 {item.external_id}（{ctx.source_id}）：{item.title}，"
            f"所涉信息已在案（{row.url}）",
            data={"source": ctx.source_id, "external_id": item.external_id, "item": row.id},
        )
    return Intake(item_id=row.id, case_id=row.case_id, created=True, new_item=stored.new_items == 1)


def _receipt(session: Session, source_id: str, external_id: str) -> Item | None:
    """The item a record with this id went to: by its receipt, or (records stored before
    receipts were kept) by the id on the item itself."""
    query = (
        select(Item)
        .join(IntakeReceipt, IntakeReceipt.item_id == Item.id)  # type: ignore[arg-type]
        .where(IntakeReceipt.source_id == source_id, IntakeReceipt.external_id == external_id)
    )
    found = session.exec(query).first()
    if found is not None:
        return found
    legacy = select(Item).where(Item.source_id == source_id, Item.external_id == external_id)
    return session.exec(legacy).first()
