"""JSON HTTP API sources: records found at a configured path, each field read through the
source's mapping (dotted paths: `data.items`, `stats.clicks`). Records without a title or a URL
and an id are skipped; a record without a time is kept. Each record becomes an item through the
same `models.parse.entries.add_entry` as a feed's entries (plain text, links resolved against
the API's URL and refused without a host, bounded counts and times). Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from models.parse.charset import declared_charset, decode_body
from models.parse.entries import Entry, FeedError, Parsed, add_entry, plausible

DEFAULT_PATHS = {"external_id": "id"}  # every other field: its own name
FIELDS = (
    "external_id",
    "title",
    "text",
    "url",
    "time",
    "author",
    "clicks",
    "comments",
    "reposts",
    "site",
    "media_level",
)


def parse_json(
    body: bytes,
    mapping: Mapping[str, str],
    *,
    source_id: str,
    content_type: str | None = None,
    encoding: str | None = None,
    base_url: str | None = None,
) -> Parsed:
    decoded = decode_body(body, declared=declared_charset(b"", content_type), override=encoding)
    try:
        document = json.loads(decoded.text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise FeedError(f"不是有效的 JSON: {str(exc)[:200]}") from None
    path = mapping.get("items", "")
    records = lookup(document, path) if path else document
    if not isinstance(records, list):
        raise FeedError(f"JSON 中 {path or '(根)'} 不是记录列表")
    parsed = Parsed(items=[], entries=len(records))
    if decoded.note:
        parsed.notes.append(decoded.note)
    for record in records:
        entry = _record(record, mapping, source_id, base_url)
        if entry is None:
            parsed.problems["record without title or link (skipped)"] += 1
        else:
            add_entry(parsed, entry)
    return parsed


def _record(record: Any, m: Mapping[str, str], source_id: str, base: str | None) -> Entry | None:
    if not isinstance(record, Mapping):
        return None
    v = {name: lookup(record, m.get(name, DEFAULT_PATHS.get(name, name))) for name in FIELDS}
    title = _text(v["title"])
    external_id = _text(v["external_id"]) or None
    url = _text(v["url"]) or (f"urn:yuqing:{source_id}:{external_id}" if external_id else "")
    if not title or not url:
        return None
    return Entry(
        link=url,
        title=title,
        summary=_text(v["text"]),
        when=parse_time(v["time"]),
        base=base,
        author=_text(v["author"]),
        clicks=v["clicks"],
        comments=v["comments"],
        reposts=v["reposts"],
        site=_text(v["site"]),
        media_level=_text(v["media_level"]) or None,
        external_id=external_id,
    )


def lookup(document: Any, path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    if not path:
        return None
    value = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 text (a naive one is taken as UTC) or a Unix timestamp in s or ms; anything
    else, or a time outside 1970–2099, is no time."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return plausible(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return plausible(datetime.fromisoformat(str(value).strip()))
    except ValueError:
        return None


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()
