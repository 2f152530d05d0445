"""The names people read in a report: grades (from the policy's scheme), units and people (from
the organisation), roles, stages, categories, outcomes, referral bodies and request kinds, and
local times. One value, `Labels`, built by the caller and handed to the pure builders, so they
never look anything up themselves. Standard library and `models.policy` (pure) only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.policy.roles import ROLE_LABELS as ROLE_LABELS  # the one table, re-exported
from models.policy.stages import STAGE_LABELS, Stage
from models.policy.states import (
    APPROVAL_LABELS,
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    REFERRAL_LABELS,
)
from models.reports.rows import NO_UNIT

CONSEQUENCE_LABELS = {
    "notice": "通报处理",
    "rating": "不得评优",
    "appraisal": "纳入年度考核",
}
MANUAL_SOURCE = "人工登记"
UNCATEGORISED = "未分类"


@dataclass(frozen=True)
class Labels:
    """Everything a report names, and the office's time zone for every time it shows."""

    tz: ZoneInfo
    grades: Mapping[str, str]  # grade id → 一级…, in rank order
    ranks: Mapping[str, int]  # grade id → rank (1 = most severe)
    units: Mapping[str, str] = field(default_factory=dict)  # unit id → name
    people: Mapping[str, str] = field(default_factory=dict)  # person id → name
    topics: Mapping[str, str] = field(default_factory=dict)  # topic id → name
    base_url: str | None = None  # the console's public address, for case links

    def grade(self, grade: str) -> str:
        return self.grades.get(grade, grade)

    def unit(self, unit: str | None) -> str:
        if unit is None or unit == NO_UNIT:
            return NO_UNIT
        return self.units.get(unit, unit)

    def person(self, person: str) -> str:
        return self.people.get(person, person)

    def category(self, category: str | None) -> str:
        if not category:
            return UNCATEGORISED
        return _label(CATEGORY_LABELS, category)

    def stage(self, stage: str) -> str:
        try:
            return STAGE_LABELS[Stage(stage)]
        except ValueError:
            return stage

    def outcome(self, outcome: str | None) -> str:
        return "" if not outcome else _label(OUTCOME_LABELS, outcome)

    def body(self, body: str) -> str:
        return _label(REFERRAL_LABELS, body)

    def approval(self, kind: str) -> str:
        return _label(APPROVAL_LABELS, kind)

    def local(self, at: datetime | None) -> datetime | None:
        """An aware time as a naive local one (what a spreadsheet cell can hold)."""
        return None if at is None else at.astimezone(self.tz).replace(tzinfo=None)

    def text(self, at: datetime | None) -> str:
        return "" if at is None else at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def case_link(self, case_id: int) -> str:
        if self.base_url:
            return f"{self.base_url.rstrip('/')}/cases/{case_id}"
        return f"yuqing case show {case_id}"

    def grade_order(self, grades: list[str]) -> list[str]:
        """`grades` in the scheme's rank order, unknown ones last."""
        last = len(self.ranks) + 1
        return sorted(grades, key=lambda g: (self.ranks.get(g, last), g))


def _label(labels: Mapping[Any, str], value: str) -> str:
    """The label of a stored value (StrEnum keys hash as their text)."""
    return labels.get(value, value)


def duration_text(seconds: float | None) -> str:
    """1小时5分钟, 2天3小时, 45秒; empty for None."""
    if seconds is None:
        return ""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}秒"
    minutes, _ = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}天"] if days else []
    parts += [f"{hours}小时"] if hours else []
    parts += [f"{minutes}分钟"] if minutes and not days else []
    return "".join(parts) or "0分钟"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
