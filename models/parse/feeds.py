"""Turning a fetched body into item records: RSS/Atom here, JSON APIs in `models.parse.jsonapi`.

The body is decoded first (`models.parse.text.decode_body`: declared charset when it is right,
detection when it is missing or wrong), then parsed. Well-formed RSS 2.0, the common case, takes
a fast streaming path (defusedxml's iterparse: no entity expansion, memory bounded by one
item); anything else, malformed XML, Atom or odd RSS, goes to feedparser, which normalises the
variants and recovers what it can from broken documents. Entries without a link are skipped,
entries without a time are kept: both are reported as problems, which make the run partial.
Parsing only; the fetch is a task's job."""

from __future__ import annotations

import calendar
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element

import feedparser
from defusedxml.ElementTree import iterparse

from models.parse.text import declared_charset, decode_body

_TAGS = re.compile(r"<[^>]+>")
_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
SLASH = "{http://purl.org/rss/1.0/modules/slash/}comments"
CLICKS = "{urn:yuqing:metrics}clicks"
REPOSTS = "{urn:yuqing:metrics}reposts"


class FeedError(Exception):
    """A body that is not a usable feed; the message says why."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One collected item, whatever kind of source it came from."""

    url: str
    title: str
    summary: str
    published_at: datetime | None
    clicks: int = 0
    comments: int = 0
    reposts: int = 0
    author: str | None = None
    site: str = ""  # empty: the URL's host
    media_level: str | None = None  # None: the source's level
    external_id: str | None = None


@dataclass
class Parsed:
    """The usable items, how many entries there were, and what was wrong (counted by kind)."""

    items: list[FeedItem]
    entries: int
    problems: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str | None:
        """One line for the run record, or None when nothing was wrong."""
        parts = [*self.notes, *(f"{what}: {n}" for what, n in sorted(self.problems.items()))]
        return "; ".join(parts) or None


def parse_feed(
    body: bytes, *, content_type: str | None = None, encoding: str | None = None
) -> Parsed:
    """Parse an RSS or Atom body; `encoding` (the source's setting) beats any declaration."""
    decoded = decode_body(body, declared=declared_charset(body, content_type), override=encoding)
    # Re-encode as UTF-8 with the declaration removed: the parsers must not re-decode wrongly.
    utf8 = _DECL.sub("", decoded.text, count=1).encode("utf-8")
    try:
        parsed = _parse_rss_fast(utf8)
    except Exception:  # anything odd: let feedparser cope (or say why it cannot)
        parsed = _parse_with_feedparser(utf8)
    if decoded.problem:
        parsed.notes.insert(0, decoded.problem)
    return parsed


def _parse_rss_fast(utf8: bytes) -> Parsed:
    parsed = Parsed(items=[], entries=0)
    root_seen = False
    for event, element in iterparse(io.BytesIO(utf8), events=("start", "end")):
        if event == "start":
            if not root_seen and (element.tag != "rss" or element.get("version") != "2.0"):
                raise ValueError("not RSS 2.0")
            root_seen = True
            continue
        if element.tag == "item":
            parsed.entries += 1
            _add(parsed, _rss_item(element))
            element.clear()
    if not root_seen:
        raise ValueError("empty document")
    return parsed


def _rss_item(element: Element) -> FeedItem | str:
    link = (element.findtext("link") or "").strip()
    title = (element.findtext("title") or "").strip()
    if not link:
        return "no link (skipped)"
    when = (element.findtext("pubDate") or "").strip()
    return FeedItem(
        url=link,
        title=title or link,
        summary=_TAGS.sub("", element.findtext("description") or "").strip(),
        published_at=_rfc822(when) if when else None,
        clicks=_count(element.findtext(CLICKS)),
        comments=_count(element.findtext(SLASH)),
        reposts=_count(element.findtext(REPOSTS)),
        author=(element.findtext("author") or "").strip() or None,
    )


def _add(parsed: Parsed, item: FeedItem | str) -> None:
    if isinstance(item, str):
        parsed.problems[item] += 1
        return
    if item.published_at is None:
        parsed.problems["no time (fetch time used)"] += 1
    parsed.items.append(item)


def _parse_with_feedparser(utf8: bytes) -> Parsed:
    result = feedparser.parse(utf8)
    if not result.get("version"):  # an HTML page or other document where a feed was expected
        reason = result.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedError(f"不是有效的 RSS/Atom 订阅源: {reason}")
    parsed = Parsed(items=[], entries=len(result.entries))
    if result.get("bozo"):
        parsed.notes.append(f"XML 格式有误，已尽量读取: {result.get('bozo_exception')}")
    for entry in result.entries:
        _add(parsed, _feedparser_item(entry))
    return parsed


def _feedparser_item(entry: Any) -> FeedItem | str:
    link = (entry.get("link") or "").strip()
    title = (entry.get("title") or "").strip()
    if not link:
        return "no link (skipped)"
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return FeedItem(
        url=link,
        title=title or link,
        summary=_TAGS.sub("", entry.get("summary") or "").strip(),
        published_at=datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None,
        clicks=_count(entry.get("yq_clicks")),
        comments=_count(entry.get("slash_comments")),
        reposts=_count(entry.get("yq_reposts")),
        author=(entry.get("author") or "").strip() or None,
    )


def _rfc822(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(value: object) -> int:
    try:
        return max(0, int(str(value if value is not None else "0").strip() or 0))
    except ValueError:
        return 0
