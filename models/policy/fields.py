"""Field readers for policy parsing: durations, times, enums, names, with problem collection.

Every reader takes the dotted path of the value it reads and, instead of raising, records a
problem naming that path in a shared ``Problems`` list and returns ``None``; the caller raises
``PolicyInvalid`` with every problem at the end. Durations are written ``"30min"``, ``"1h"``,
``"1h30min"``, ``"2d"`` (also ``分钟``/``小时``/``天``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Problems", "parse_duration"]

E = TypeVar("E", bound=StrEnum)

_DURATION = re.compile(
    r"^\s*(?:(?P<d>\d+)\s*(?:d|天))?\s*(?:(?P<h>\d+)\s*(?:h|小时))?"
    r"\s*(?:(?P<m>\d+)\s*(?:min|m|分钟))?\s*$"
)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def parse_duration(text: str) -> timedelta | None:
    """``"1h30min"`` → 90 minutes; None when the text is not a duration."""
    match = _DURATION.match(text)
    if match is None or not any(match.groupdict().values()):
        return None
    d, h, m = (int(match.group(g) or 0) for g in ("d", "h", "m"))
    return timedelta(days=d, hours=h, minutes=m)


class Problems:
    """Collects ``path: message`` lines."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")

    def table(self, data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            self.add(path, "缺少此表 / missing table")
            return None
        if not isinstance(value, Mapping):
            self.add(path, "必须是表 / must be a table")
            return None
        return value

    def text(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(path, "缺少此项 / missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(path, "必须是非空字符串 / must be a non-empty string")
            return None
        return value.strip()

    def ident(self, data: Mapping[str, Any], key: str, path: str) -> str | None:
        value = self.text(data, key, path)
        if value is not None and not _ID.match(value):
            self.add(path, f"“{value}”须为小写 ASCII 标识 / must be a lower-case ascii id")
            return None
        return value

    def choice(self, enum: type[E], value: Any, path: str) -> E | None:
        try:
            return enum(value)
        except ValueError:
            valid = ", ".join(m.value for m in enum)
            self.add(path, f"无效取值 {value!r}，可用：{valid} / must be one of: {valid}")
            return None

    def duration(self, value: Any, path: str) -> timedelta | None:
        parsed = parse_duration(value) if isinstance(value, str) else None
        if parsed is None:
            self.add(path, f'无效时长 {value!r}（例："30min"、"2h"）/ not a duration')
            return None
        if parsed <= timedelta(0):
            self.add(path, "must be > 0 / 时长必须大于 0")
            return None
        return parsed

    def positive_int(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"必须是整数，实际为 {value!r} / must be an integer")
            return None
        if value < 1:
            self.add(path, "must be > 0 / 必须大于 0")
            return None
        return value

    def clock_time(self, data: Mapping[str, Any], key: str, path: str) -> time | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, time):
            return value
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            self.add(path, f'无效时刻 {value!r}（例："17:30"）/ not a time of day')
            return None

    def timezone(self, data: Mapping[str, Any], key: str, path: str) -> str:
        name = self.text(data, key, path, required=False) or "Asia/Shanghai"
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, a long name
            self.add(path, f"未知时区 {name[:64]!r} / unknown time zone")
        return name

    def unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                self.add(where, f"未知字段，可用：{', '.join(sorted(allowed))} / unknown key")
