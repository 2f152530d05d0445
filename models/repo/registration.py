"""人工登记: an officer registers what they saw (a WeChat group post, a phone call, a citizen's
report, a referral): always a case, topic or not, joining a similar open case when there is one;
a grade the registrar proposes above the rules' opens it there (or raises the case joined). The
item goes through the same `store_items` as collected items, so dedup, clustering and grading
are the same."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, select

from models.parse.entries import FeedItem
from models.parse.topics import CATEGORIES, Topic
from models.parse.urls import canonical_url, link_problem
from models.policy import Policy, WorkCalendar
from models.policy.grades import GradeLevel
from models.policy.notices import Notice
from models.policy.states import EventKind
from models.repo.cases import CaseError, add_event, get_case, who
from models.repo.changes import Change
from models.repo.intake import Intake
from models.repo.items import StoreContext, store_items
from models.repo.regrade import regrade
from models.repo.sources import MANUAL_SOURCE
from models.store.tables import Item


@dataclass(frozen=True)
class Sighting:
    """What the officer saw: the post's title and text, its link, when it was posted and when
    the event occurred (if known), its category and its figures."""

    title: str
    text: str
    url: str | None = None
    posted_at: datetime | None = None
    occurred_at: datetime | None = None
    category: str | None = None
    clicks: int = 0
    comments: int = 0


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
    """An officer registers what they saw: a case always results, joining a similar open case
    when there is one; a new one opens at `grade` when that is above the rules' grade."""
    seen = Sighting(title, text, url, posted_at, occurred_at, category, clicks, comments)
    ctx = _context(seen, topics=topics, policy=policy, calendar=calendar, now=now, grade=grade)
    return _store(session, seen, actor=actor, ctx=ctx)


def _context(
    seen: Sighting,
    *,
    topics: tuple[Topic, ...],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    grade: str | None,
) -> StoreContext:
    """The manual source's rules: a case is opened even off-topic, at the grade proposed."""
    return StoreContext(
        source_id=MANUAL_SOURCE,
        topics=topics,
        policy=policy,
        calendar=calendar,
        now=now,
        force_case=True,
        category=seen.category,
        grade=grade,
    )


def _store(session: Session, seen: Sighting, *, actor: str, ctx: StoreContext) -> Intake:
    if seen.url is not None and (problem := link_problem(seen.url)) is not None:
        raise CaseError(f"原帖链接 url：{problem}")
    item = FeedItem(
        url=seen.url or f"urn:yuqing:{MANUAL_SOURCE}:{uuid.uuid4().hex}",
        title=seen.title,
        summary=seen.text,
        published_at=seen.posted_at,
        clicks=seen.clicks,
        comments=seen.comments,
        author=actor,
        external_id=None,
        occurred_at=seen.occurred_at,
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
    seen: Sighting,
    *,
    actor: str,
    via: str,
    topics: tuple[Topic, ...],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    grade: str | None = None,
) -> Change:
    """人工登记 by a person via a hotline call, a citizen's report…: a case results, or a similar
    open one is joined; a grade proposed above the rules' opens it there (that grade's clock and
    titles). When it was posted and when the event occurred, if known, anchor the deadlines
    (S1-12: 24 h from the posting); neither may be after `now`."""
    _check_registration(seen, now)
    seen = replace(seen, title=seen.title.strip())
    proposed = policy.scheme.level(grade) if grade else None
    level = proposed.id if proposed else None
    ctx = _context(seen, topics=topics, policy=policy, calendar=calendar, now=now, grade=level)
    intake = _store(session, seen, actor=actor, ctx=ctx)
    assert intake.case_id is not None
    asked = f"，提出等级 {proposed.label}" if proposed else ""
    add_event(
        session,
        case_id=intake.case_id,
        kind=EventKind.NOTE,
        at=now,
        actor=actor,
        message=f"{who(session, actor)} 人工登记（{via}{asked}）：{seen.title}",
        data={"item": intake.item_id, "via": via},
    )
    notices = _raise_to_proposed(session, intake.case_id, proposed, actor, ctx)
    return Change(
        intake.case_id,
        f"已登记：信息 {intake.item_id} → 案件 {intake.case_id}（登记人 {who(session, actor)}）",
        {"case_id": intake.case_id, "item_id": intake.item_id, "created": intake.created},
        tuple(notices),
    )


def _raise_to_proposed(
    session: Session, case_id: int, proposed: GradeLevel | None, actor: str, ctx: StoreContext
) -> list[Notice]:
    """A case joined below the grade the registrar proposed is raised to it."""
    case = get_case(session, case_id)
    if proposed is None or proposed.rank >= ctx.policy.scheme.level(case.grade).rank:
        return []
    session.flush()
    _, notices = regrade(
        session,
        case_id=case_id,
        grade=proposed.id,
        actor=actor,
        reason=f"登记人提出{proposed.label}",
        at=ctx.now,
        policy=ctx.policy,
        calendar=ctx.calendar,
    )
    return notices


def _check_registration(seen: Sighting, now: datetime) -> None:
    if not seen.title.strip():
        raise CaseError("缺少字段 title（标题）")
    if seen.category is not None and seen.category not in CATEGORIES:
        raise CaseError(f"未知类别 {seen.category!r}，可选：{', '.join(CATEGORIES)}")
    for name, label, value in (
        ("posted_at", "发帖时间", seen.posted_at),
        ("occurred_at", "事件发生时间", seen.occurred_at),
    ):
        if value is not None and value > now:
            raise CaseError(f"字段 {name}（{label}）不能晚于登记时间：{value.isoformat()}")
