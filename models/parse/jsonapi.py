"""JSON HTTP API sources: records found at a configured path, each field read through the
source's mapping (dotted paths: `data.items`, `stats.clicks`). Records without a title or a URL
and an id are skipped; a record without a time is kept. Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from models.parse.feeds import FeedError, FeedItem, Parsed
from models.parse.text import declared_charset, decode_body

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
) -> Parsed:
    decoded = decode_body(body, declared=declared_charset(b"", content_type), override=encoding)
    try:
        document = json.loads(decoded.text)
    except json.JSONDecodeError as exc:
        raise FeedError(f"不是有效的 JSON: {exc}") from None
    path = mapping.get("items", "")
    records = lookup(document, path) if path else document
    if not isinstance(records, list):
        raise FeedError(f"JSON 中 {path or '(根)'} 不是记录列表")
    parsed = Parsed(items=[], entries=len(records))
    if decoded.problem:
        parsed.notes.append(decoded.problem)
    for record in records:
        item = _record(record, mapping, source_id) if isinstance(record, Mapping) else None
        if item is None:
            parsed.problems["record without title or link (skipped)"] += 1
            continue
        if item.published_at is None:
            parsed.problems["no time (fetch time used)"] += 1
        parsed.items.append(item)
    return parsed


def _record(record: Mapping[str, Any], m: Mapping[str, str], source_id: str) -> FeedItem | None:
    v = {name: lookup(record, m.get(name, DEFAULT_PATHS.get(name, name))) for name in FIELDS}
    title = _text(v["title"])
    external_id = _text(v["external_id"]) or None
    url = _text(v["url"]) or (f"urn:yuqing:{source_id}:{external_id}" if external_id else "")
    if not title or not url:
        return None
    return FeedItem(
        url=url,
        title=title,
        summary=_text(v["text"]),
        published_at=parse_time(v["time"]),
        clicks=_count(v["clicks"]),
        comments=_count(v["comments"]),
        reposts=_count(v["reposts"]),
        author=_text(v["author"]) or None,
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
    """ISO 8601 text (a naive one is taken as UTC) or a Unix timestamp in s or ms."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
