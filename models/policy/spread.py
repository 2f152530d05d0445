"""A case's spread from its items: how many items and sites, how many mainstream sites, the
highest media level, and the summed clicks, comments and reposts: the `CaseMetrics` that the
grade rules (`models.policy.evaluate_grade`) read. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from models.policy import CaseMetrics, MediaLevel

# Most to least prominent; "mainstream" is any level above local sites (seeds-spec §2.2).
MEDIA_ORDER = tuple(MediaLevel)
MAINSTREAM = frozenset(
    {MediaLevel.central, MediaLevel.national_portal, MediaLevel.provincial, MediaLevel.city}
)


@dataclass(frozen=True)
class ItemFacts:
    site: str
    media_level: str
    clicks: int
    comments: int
    reposts: int


def site_of(url: str, site: str = "") -> str:
    """The item's site: the one given, else the URL's host without a leading www."""
    if site.strip():
        return site.strip().lower()
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def media_level(value: str | None, default: str = "local") -> MediaLevel:
    """A media level by name; unknown names fall back to `default`."""
    try:
        return MediaLevel(value or default)
    except ValueError:
        return MediaLevel(default)


def case_metrics(items: Iterable[ItemFacts], *, sensitive_period: bool = False) -> CaseMetrics:
    rows = list(items)
    levels: dict[str, MediaLevel] = {}
    for row in rows:  # a site counts at the most prominent level any of its items has
        level = media_level(row.media_level)
        known = levels.get(row.site)
        if known is None or MEDIA_ORDER.index(level) < MEDIA_ORDER.index(known):
            levels[row.site] = level
    top = min((MEDIA_ORDER.index(level) for level in levels.values()), default=None)
    return CaseMetrics(
        clicks=sum(row.clicks for row in rows),
        comments=sum(row.comments for row in rows),
        reposts=sum(row.reposts for row in rows),
        sites=len(levels),
        mainstream_sites=sum(1 for level in levels.values() if level in MAINSTREAM),
        media_level=MediaLevel.none if top is None else MEDIA_ORDER[top],
        sensitive_period=sensitive_period,
    )
