"""How times read to office staff, one way everywhere (pages, messages, the CLI, documents): a
deadline as `2026-12-14 24:00` when it falls at midnight (the end of that day, as the rules
count it) and `2026-12-14 17:30` otherwise; the time left as `剩余 2小时5分钟`, `已超时 15分钟`,
or `刚刚超时` in the minute after it passed. Standard library only."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.policy.escalation import format_late

__all__ = ["deadline_text", "late_text", "left_text"]


def deadline_text(at: datetime, tz: ZoneInfo) -> str:
    """A deadline in local time; midnight is written as 24:00 of the day that ends."""
    local = at.astimezone(tz)
    if local.time() == time(0, 0):
        return f"{local - timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


def left_text(due: datetime, now: datetime, *, language: str = "zh") -> tuple[str, bool]:
    """('剩余 2小时5分钟', False), ('刚刚超时', True) or ('已超时 15分钟', True)."""
    left = due - now
    if left > timedelta(0):
        text = format_late(left, language=language)
        return (f"{text} left" if language == "en" else f"剩余 {text}"), False
    if -left < timedelta(minutes=1):
        return ("just overdue" if language == "en" else "刚刚超时"), True
    text = format_late(-left, language=language)
    return (f"overdue by {text}" if language == "en" else f"已超时 {text}"), True


def late_text(late_by: timedelta) -> str:
    """How late, as the timeline says it: 刚刚超时 within the minute, else 超时 15分钟."""
    return "刚刚超时" if late_by < timedelta(minutes=1) else f"超时 {format_late(late_by)}"
