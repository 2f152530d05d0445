"""`[[risk_points]]`: the risk points (风险点) of the office's plan, as S0-14's form lists them —
the risk, its standing countermeasures (应对措施), lead and responsible units (牵头单位,
责任单位), the resolution deadline (化解时限) — and which cases count under it (by topic or
category). The monthly and quarterly ledgers have one row per risk point; cases under none are
grouped by topic."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from settings.base import ID_PATTERN, Section

Category = Literal["inquiry", "hype", "rumour", "suggestion", "corruption"]


class RiskPointConfig(Section):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=500, description="存在风险点, as the plan says.")
    measures: str = Field("", max_length=5000, description="具体应对措施 (一是……二是……).")
    next_steps: str = Field("", max_length=2000, description="下步重点工作, if the plan says.")
    lead_units: list[str] = Field(default_factory=list, description="牵头单位 (unit ids).")
    units: list[str] = Field(default_factory=list, description="责任单位 (unit ids).")
    deadline: str = Field("", max_length=200, description="化解时限, e.g. 12月底前稳控化解到位.")
    topics: list[str] = Field(default_factory=list, description="Cases of these topics count.")
    categories: list[Category] = Field(default_factory=list, description="…and of these.")

    @field_validator("title", "deadline")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be one line")
        return value.strip()
