"""Turning a fetched RSS/Atom body into plain item records: title, link, summary, publication
time (aware UTC) and the metrics a feed may carry (slash:comments, yq:clicks). Parsing only; the
fetch is a task's job."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser


class FeedError(Exception):
    """A body that is not a usable feed; the message says why."""


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str
    summary: str
    published_at: datetime | None
    clicks: int = 0
    comments: int = 0


def parse_feed(body: bytes) -> tuple[list[FeedItem], list[str]]:
    """The feed's items and a list of problems with individual entries (skipped, not fatal)."""
    parsed = feedparser.parse(body)
    if not parsed.get("version"):  # an HTML page or other document where a feed was expected
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedError(f"不是有效的 RSS/Atom 订阅源: {reason}")
    items: list[FeedItem] = []
    problems: list[str] = []
    for n, entry in enumerate(parsed.entries):
        link = (entry.get("link") or "").strip()
        title = (entry.get("title") or "").strip()
        if not link:
            problems.append(f"entry {n} ({title[:30]!r}): no link, skipped")
            continue
        items.append(
            FeedItem(
                url=link,
                title=title or link,
                summary=(entry.get("summary") or "").strip(),
                published_at=_published(entry),
                clicks=_count(entry, "yq_clicks"),
                comments=_count(entry, "slash_comments"),
            )
        )
    return items, problems


def _published(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def _count(entry: Any, key: str) -> int:
    try:
        return max(0, int(str(entry.get(key, "0")).strip() or 0))
    except ValueError:
        return 0
