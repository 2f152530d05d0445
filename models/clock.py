"""The one clock seam. Code that needs "now" calls `utc_now()` once at its edge (a flow, a CLI
command) and passes the value down; pure functions always take the time as a parameter, so tests
and the demo move time forward without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def require_aware(value: datetime, *, name: str = "time") -> datetime:
    """Return `value` converted to UTC; refuse a naive datetime, whose zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone (got naive {value.isoformat()})")
    return value.astimezone(UTC)
