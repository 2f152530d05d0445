"""Errors raised by the pure policy engine.

Everything the policy package refuses is a ``PolicyError``; the subclasses say why (an invalid
policy file, an illegal stage transition, a calendar year with no official data). Messages are
in Simplified Chinese for office staff, with an English detail after a ``/``.
"""

from __future__ import annotations

from collections.abc import Iterable


class PolicyError(Exception):
    """Base class of every error raised by ``models.policy``."""


class PolicyInvalid(PolicyError):
    """A policy (file or mapping) failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[str], *, origin: str = "") -> None:
        self.problems: list[str] = list(problems)
        self.origin = origin
        where = f"{origin}: " if origin else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"{where}策略无效，共 {count} 处问题 / invalid policy:\n{lines}")


class IllegalTransition(PolicyError):
    """An event that the case's current stage (or its template) does not allow."""

    def __init__(
        self, stage: str, event: str, detail: str = "", *, names: tuple[str, str] | None = None
    ) -> None:
        self.stage = stage
        self.event = event
        extra = f"（{detail}）" if detail else ""
        shown_stage, shown_event = names or (stage, event)
        super().__init__(f"案件处于“{shown_stage}”阶段，不能{shown_event}{extra}")


class UnknownCalendarYear(PolicyError):
    """A working-day or calendar-day computation touched a year with no official 调休 data."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"日历缺少 {year} 年的国务院节假日与调休安排：请把该年的放假日期（holidays）"
            "和调休上班日期（workdays）写入配置 [calendar] file 指定的日历文件"
            f"（yuqing calendar show {year} 查看）/ "
            f"no official holiday and make-up workday data for year {year}; "
            "list its days in the file named by the [calendar] file setting"
        )
