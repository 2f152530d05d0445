"""The office's calendar file read as data: ``holidays`` (days off) and ``workdays`` (调休 make-up
working days), ISO dates, merged over the ``holidays`` package (``[calendar] file`` in the
settings). A year with any day in the file is taken as the State Council's whole arrangement
for that year. Every bad entry is named by its key and position. Standard library only; the
file itself is read by ``models.store.calendar_file``.

```toml
# calendar.toml: 国务院办公厅关于2027年部分节假日安排的通知
holidays = ["2027-01-01", "2027-02-05", "2027-02-06"]
workdays = ["2027-02-20"]
```
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from models.policy.calendar import CalendarOverrides
from models.policy.errors import PolicyError

__all__ = ["KEYS", "CalendarInvalid", "parse_calendar"]

KEYS = ("holidays", "workdays")
EARLIEST, LATEST = 2000, 2100  # a year outside this is a typo, not a calendar


class CalendarInvalid(PolicyError):
    """The calendar file cannot be used; ``problems`` names every bad key or entry."""

    def __init__(self, problems: list[str], *, origin: str = "") -> None:
        self.problems, self.origin = problems, origin
        where = f"{origin}: " if origin else ""
        lines = "；".join(problems)
        super().__init__(f"{where}日历文件（[calendar] file）无效：{lines}")


def _days(value: Any, key: str, problems: list[str]) -> frozenset[date]:
    if not isinstance(value, list):
        problems.append(f'{key}: 须是日期数组，如 ["2027-01-01"] / must be an array of dates')
        return frozenset()
    days: set[date] = set()
    for n, raw in enumerate(value):
        try:
            day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            problems.append(f"{key}[{n}]: 不是 YYYY-MM-DD 日期：{str(raw)[:40]!r}")
            continue
        if not EARLIEST <= day.year < LATEST:
            problems.append(f"{key}[{n}]: 年份须在 {EARLIEST}–{LATEST - 1} 之间：{day}")
            continue
        days.add(day)
    return frozenset(days)


def parse_calendar(data: Mapping[str, Any], *, origin: str = "") -> CalendarOverrides:
    """The overrides the file declares; ``CalendarInvalid`` listing every problem."""
    problems = [f"{key}: 未知字段，可用：{', '.join(KEYS)}" for key in data if key not in KEYS]
    holidays = _days(data.get("holidays", []), "holidays", problems)
    workdays = _days(data.get("workdays", []), "workdays", problems)
    if problems:
        raise CalendarInvalid(problems, origin=origin)
    try:
        return CalendarOverrides(
            holidays=holidays,
            workdays=workdays,
            covered_years=frozenset(d.year for d in holidays | workdays),
        )
    except PolicyError as exc:
        raise CalendarInvalid([str(exc)], origin=origin) from None
