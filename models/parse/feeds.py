"""Turning a fetched feed body into items: RSS and Atom here, JSON APIs in
`models.parse.jsonapi`.

The body is decoded first (`models.parse.charset.decode_body`: a byte-order mark, the source's
setting, the declaration, then detection, each guess noted), then parsed. Well-formed RSS 2.0,
the common case, takes the fast path (`models.parse.rss`), which reads what feedparser reads for
the elements it knows and steps aside for anything else; every other document (Atom, RSS
0.9x/1.0, malformed XML, odd RSS) goes to feedparser, which normalises the variants and recovers
what it can from broken documents. Either way each entry becomes an item through the same
`models.parse.entries.add_entry`, with links resolved against xml:base and the feed's own URL.
Parsing only; the fetch is a task's job."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from models.parse.charset import declared_charset, decode_body
from models.parse.entries import Entry, FeedError, Parsed, add_entry
from models.parse.rss import METRICS, read_rss

_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_feed(
    body: bytes,
    *,
    content_type: str | None = None,
    encoding: str | None = None,
    base_url: str | None = None,
) -> Parsed:
    """Parse an RSS or Atom body; `encoding` (the source's setting) beats any declaration and
    `base_url` (where the body came from) resolves relative links."""
    decoded = decode_body(body, declared=declared_charset(body, content_type), override=encoding)
    # Re-encode as UTF-8 with the declaration removed: the parsers must not re-decode wrongly.
    utf8 = _DECL.sub("", decoded.text, count=1).encode("utf-8", errors="replace")
    parsed = parse_utf8(utf8, base_url=base_url)
    if decoded.note:
        parsed.notes.insert(0, decoded.note)
    return parsed


def parse_utf8(utf8: bytes, *, base_url: str | None = None) -> Parsed:
    """Parse a decoded body: the fast path when it can, feedparser otherwise."""
    try:
        entries = read_rss(utf8, base=base_url)
    except Exception:  # Unsupported, malformed XML, a forbidden entity...: feedparser copes
        return parse_with_feedparser(utf8, base_url=base_url)
    parsed = Parsed(items=[], entries=len(entries))
    for entry in entries:
        add_entry(parsed, entry)
    return parsed


def parse_with_feedparser(utf8: bytes, *, base_url: str | None = None) -> Parsed:
    """feedparser's reading of the document: the oracle the fast path agrees with."""
    # Say the bytes are UTF-8: given headers without a charset, feedparser assumes Latin-1.
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    result = feedparser.parse(utf8, response_headers=headers)
    if not result.get("version"):  # an HTML page or other document where a feed was expected
        reason = result.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedError(f"不是有效的 RSS/Atom 订阅源: {str(reason)[:200]}")
    parsed = Parsed(items=[], entries=len(result.entries))
    if result.get("bozo"):
        parsed.notes.append(f"XML 格式有误，已尽量读取: {str(result.get('bozo_exception'))[:200]}")
    prefix = _prefix(result.get("namespaces", {}), METRICS.strip("{}"))
    for entry in result.entries:
        add_entry(parsed, _entry(entry, prefix))
    return parsed


def _entry(entry: Any, metrics: str) -> Entry:
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return Entry(
        link=entry.get("link") or "",
        title=entry.get("title") or "",
        summary=entry.get("summary") or "",
        when=_from_struct(when),
        author=entry.get("author") or "",
        clicks=entry.get(f"{metrics}_clicks"),
        comments=entry.get("slash_comments"),
        reposts=entry.get(f"{metrics}_reposts"),
    )


def _prefix(namespaces: dict[str, str], uri: str) -> str:
    """The prefix feedparser names an unknown namespace's elements by: the document's own."""
    return next((prefix for prefix, known in namespaces.items() if known == uri), "yq")


def _from_struct(when: Any) -> datetime | None:
    if not when:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(when), UTC)
    except (OverflowError, OSError, ValueError):
        return None
