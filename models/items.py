"""Storing collected items: canonical URLs so the same page is stored once, the grade a new
matching item opens its case with, and `store_items`, which writes a whole batch (new items,
and a case per new matching item) in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlmodel import Session, col, select

from models.cases import add_event, open_case
from models.feeds import FeedItem
from models.policy import CaseMetrics, Policy, WorkCalendar, evaluate_grade
from models.states import EventKind
from models.tables import Item
from models.topics import Topic, match_topic

TRACKING_PARAMS = ("utm_", "spm", "from", "share", "fbclid", "gclid")


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PARAMS)
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower() or "http", host, path, urlencode(sorted(query)), ""))


def opening_grade(item: FeedItem, topic: Topic, policy: Policy) -> str:
    """The grade the metrics call for, raised to the topic's hint when that is more severe."""
    grade = evaluate_grade(policy.scheme, CaseMetrics(clicks=item.clicks, comments=item.comments))
    if topic.grade_hint is None:
        return grade
    hint = policy.scheme.level(topic.grade_hint)
    return hint.id if hint.rank < policy.scheme.level(grade).rank else grade


@dataclass
class StoreResult:
    new_items: int = 0
    duplicates: int = 0
    cases_opened: list[int] = field(default_factory=list)


def store_items(
    session: Session,
    *,
    source_id: str,
    items: Sequence[FeedItem],
    topics: Sequence[Topic],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> StoreResult:
    """Store the items not seen before; each new one that matches a topic opens a case."""
    result = StoreResult()
    urls = {canonical_url(item.url): item for item in items}
    known = set(
        session.exec(
            select(Item.canonical_url).where(col(Item.canonical_url).in_(list(urls)))
        ).all()
    )
    result.duplicates = len(items) - len(urls) + len(known)
    for canon, item in urls.items():
        if canon in known:
            continue
        row = Item(
            source_id=source_id,
            canonical_url=canon,
            url=item.url,
            title=item.title,
            summary=item.summary,
            published_at=item.published_at,
            fetched_at=now,
            clicks=item.clicks,
            comments=item.comments,
        )
        topic = match_topic(f"{item.title}\n{item.summary}", topics)
        if topic is not None:
            case = open_case(
                session,
                title=item.title,
                grade=opening_grade(item, topic, policy),
                policy=policy,
                calendar=calendar,
                discovered_at=now,
                occurred_at=item.published_at,
                topic_id=topic.id,
                category=topic.category,
                reason=f"，命中专题 {topic.id}",
            )
            assert case.id is not None
            row.topic_id, row.case_id = topic.id, case.id
            add_event(
                session,
                case_id=case.id,
                kind=EventKind.ITEM_ATTACHED,
                at=now,
                message=f"信息来源：{item.title} {item.url}（点击 {item.clicks}，"
                f"评论 {item.comments}）",
                data={"url": item.url, "source": source_id},
            )
            result.cases_opened.append(case.id)
        session.add(row)
        result.new_items += 1
    return result
