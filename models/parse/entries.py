"""What every parser produces: an `Entry` as read from a feed or an API (markup and all), the
`FeedItem` it becomes, and the `Parsed` result of one body. `add_entry` is the one step from an
entry to an item, shared by the fast RSS path, feedparser and JSON APIs so they cannot drift
apart: the link resolved against its base and refused when it still has no host (or is not
http(s)); title, summary and author as plain text; a time outside 1970–2099 treated as no time;
counts read leniently. Each refusal is counted as a problem with its reason. Pure: no I/O."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from models.parse.text import plain_text
from models.parse.urls import link_problem, resolve_link

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_COUNT = 2_000_000_000  # fits every integer column on both databases
MAX_TITLE = 1000
MAX_ID = 200
MEDIA_LEVELS = frozenset({"central", "national_portal", "provincial", "city", "local", "none"})


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
    occurred_at: datetime | None = None  # when the event itself happened, if the sender knows


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as a parser read it: text may still carry markup and entities, the link may
    be relative to `base`, counts are as written."""

    link: str
    title: str
    summary: str
    when: datetime | None
    base: str | None = None
    author: str = ""
    clicks: object = None
    comments: object = None
    reposts: object = None
    site: str = ""
    media_level: str | None = None
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


def add_entry(parsed: Parsed, entry: Entry) -> None:
    """Turn the entry into an item of `parsed`, or count why it cannot be one."""
    item = to_item(entry)
    if isinstance(item, str):
        parsed.problems[item] += 1
        return
    if item.published_at is None:
        parsed.problems["no time (fetch time used)"] += 1
    parsed.items.append(item)


def to_item(entry: Entry) -> FeedItem | str:
    """The item an entry makes, or the reason (for the run record) it makes none."""
    if entry.external_id is not None and not 0 < len(entry.external_id) <= MAX_ID:
        return f"external id empty or longer than {MAX_ID} characters (skipped)"
    link = resolve_link(entry.link, entry.base)
    if not link:
        return "no link (skipped)"
    if (problem := link_problem(link)) is not None:
        return f"bad link (skipped): {problem}"
    title = plain_text(entry.title)[:MAX_TITLE]
    return FeedItem(
        url=link,
        title=title or link[:MAX_TITLE],
        summary=plain_text(entry.summary),
        published_at=plausible(entry.when),
        clicks=count(entry.clicks),
        comments=count(entry.comments),
        reposts=count(entry.reposts),
        author=plain_text(entry.author)[:200] or None if entry.author else None,
        site=plain_text(entry.site)[:200] if entry.site else "",
        media_level=entry.media_level if entry.media_level in MEDIA_LEVELS else None,
        external_id=entry.external_id,
    )


def plausible(when: datetime | None) -> datetime | None:
    """The time in UTC to the second, or None when it is absent or outside 1970–2099 (a year-1
    or year-9999 date is a sender's bug, and would overflow local-time arithmetic)."""
    if when is None:
        return None
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        return None
    return aware.astimezone(UTC).replace(microsecond=0)


def count(value: object) -> int:
    """A count as written ("1,234" too); anything unreadable is 0, anything huge is capped."""
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return min(max(0, value), MAX_COUNT)
    if isinstance(value, float):
        return min(max(0, int(value)), MAX_COUNT) if math.isfinite(value) else 0
    text = str(value).strip().replace(",", "")
    if not (text.isascii() and text.isdigit()):
        return 0
    return MAX_COUNT if len(text) > 10 else min(int(text), MAX_COUNT)
