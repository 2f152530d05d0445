"""Items that are pushed to us or registered by hand, as opposed to collected: a referral or a
hotline/petition record arriving at the intake endpoint, and a manual registration by an officer
(always a case, topic or not). Both go through the same `store_items` as collected items, so
dedup, clustering and grading are the same.

A pushed record is idempotent by its sender's id: each one is kept as an `IntakeReceipt` (source,
external id → item). A new id about a page already stored (collected from a feed, or pushed
under another id) attaches to that page's item, and to its case's timeline, instead of storing
the page twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from models.parse.entries import FeedItem
from models.parse.topics import CATEGORIES, Topic
from models.parse.urls import canonical_url, link_problem
from models.policy import Policy, WorkCalendar
from models.policy.notices import Notice
from models.policy.states import EventKind
from models.repo.cases import CaseError, add_event, get_case, who
from models.repo.changes import Change
from models.repo.items import StoreContext, store_items
from models.repo.regrade import regrade
from models.repo.sources import MANUAL_SOURCE
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
    posted_at: datetime | None = None,
    occurred_at: datetime | None = None,
    category: str | None = None,
    clicks: int = 0,
    comments: int = 0,
    grade: str | None = None,
) -> Intake:
    """An officer registers what they saw (a WeChat group post, a phone call): a case always
    results, joining a similar open case when there is one; a new one opens at `grade` when
    that is above the rules' grade."""
    if url is not None and (problem := link_problem(url)) is not None:
        raise CaseError(f"原帖链接 url：{problem}")
    item = FeedItem(
        url=url or f"urn:yuqing:{MANUAL_SOURCE}:{uuid.uuid4().hex}",
        title=title,
        summary=text,
        published_at=posted_at,
        clicks=clicks,
        comments=comments,
        author=actor,
        external_id=None,
        occurred_at=occurred_at,
    )
    ctx = StoreContext(
        source_id=MANUAL_SOURCE,
        topics=topics,
        policy=policy,
        calendar=calendar,
        now=now,
        force_case=True,
        category=category,
        grade=grade,
    )
    stored = store_items(session, items=[item], ctx=ctx)
    row = session.exec(select(Item).where(Item.canonical_url == canonical_url(item.url))).one()
    assert row.id is not None
    return Intake(
        item_id=row.id,
        case_id=row.case_id,
        created=stored.new_items == 1,
        new_item=stored.new_items == 1,
    )


def register(
    session: Session,
    *,
    title: str,
    text: str,
    actor: str,
    via: str,
    topics: tuple[Topic, ...],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    url: str | None = None,
    category: str | None = None,
    clicks: int = 0,
    comments: int = 0,
    grade: str | None = None,
    posted_at: datetime | None = None,
    occurred_at: datetime | None = None,
) -> Change:
    """人工登记 by a person (via a hotline call, a citizen's report, a referral…): a case results,
    or a similar open one is joined; a grade the registrar proposes above the rules' opens it
    there (its deadlines on that grade's clock, titled as that grade's). When the item was
    posted and when the event occurred, if known, are the anchors the policy's deadlines count
    from (S1-12: 24 h from the posting); neither may be after `now`."""
    _check_registration(title, category, now, posted_at=posted_at, occurred_at=occurred_at)
    proposed = policy.scheme.level(grade) if grade else None
    intake = register_manual_item(
        session,
        title=title.strip(),
        text=text,
        actor=actor,
        topics=topics,
        policy=policy,
        calendar=calendar,
        now=now,
        url=url,
        posted_at=posted_at,
        occurred_at=occurred_at,
        category=category,
        clicks=clicks,
        comments=comments,
        grade=proposed.id if proposed else None,
    )
    assert intake.case_id is not None
    asked = f"，提出等级 {proposed.label}" if proposed else ""
    add_event(
        session,
        case_id=intake.case_id,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        message=f"{who(session, actor)} 人工登记（{via}{asked}）：{title.strip()}",
        data={"item": intake.item_id, "via": via},
    )
    notices: list[Notice] = []
    case = get_case(session, intake.case_id)
    if proposed is not None and proposed.rank < policy.scheme.level(case.grade).rank:
        session.flush()  # joined an open case below the proposed grade: raise it
        _, notices = regrade(
            session,
            case_id=intake.case_id,
            grade=proposed.id,
            actor=actor,
            reason=f"登记人提出{proposed.label}",
            at=now,
            policy=policy,
            calendar=calendar,
        )
    return Change(
        intake.case_id,
        f"已登记：信息 {intake.item_id} → 案件 {intake.case_id}（登记人 {who(session, actor)}）",
        {"case_id": intake.case_id, "item_id": intake.item_id, "created": intake.created},
        tuple(notices),
    )


def _check_registration(
    title: str,
    category: str | None,
    now: datetime,
    *,
    posted_at: datetime | None,
    occurred_at: datetime | None,
) -> None:
    if not title.strip():
        raise CaseError("缺少字段 title（标题）")
    if category is not None and category not in CATEGORIES:
        raise CaseError(f"未知类别 {category!r}，可选：{', '.join(CATEGORIES)}")
    for name, label, value in (
        ("posted_at", "发帖时间", posted_at),
        ("occurred_at", "事件发生时间", occurred_at),
    ):
        if value is not None and value > now:
            raise CaseError(f"字段 {name}（{label}）不能晚于登记时间：{value.isoformat()}")
