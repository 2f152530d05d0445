"""Small helpers shared by the policy-engine tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """``"2026-09-30 16:00"`` → aware datetime in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)
