"""The `[reports]` section: the office's name and phone for the forms, and per report kind when
it runs (local time, `general.timezone`), who receives it (by role) and in which file format.
Every schedule is a plain local time; the daily digest's time defaults to the policy's
`digest_at` (S1-5: 17:00)."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field, field_validator

from settings.base import Role, Section

FileFormat = Literal["xlsx", "csv", "md", "json"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _roles(*names: Role) -> list[Role]:
    return list(names)


class DailyReport(Section):
    enabled: bool = Field(True, description="Run the daily digest on its schedule.")
    at: time | None = Field(None, description="Local time; default: the policy's digest_at.")
    roles: list[Role] = Field(
        default_factory=lambda: _roles("office_staff", "office_head", "duty_officer"),
        description="Who receives it.",
    )
    format: FileFormat = Field("xlsx", description="The attached file's format.")


class WeeklyReport(Section):
    enabled: bool = True
    weekday: Weekday = Field("monday", description="S0-4: every Monday.")
    at: time = Field(time(9, 0), description="Local time.")
    roles: list[Role] = Field(default_factory=lambda: _roles("office_head", "leader_in_charge"))
    format: FileFormat = "xlsx"


class MonthlyReport(Section):
    enabled: bool = True
    day: int = Field(1, ge=1, le=28, description="Day of the month it runs (previous month).")
    at: time = Field(time(9, 0), description="Local time.")
    december_day: int | None = Field(
        None,
        ge=1,
        le=31,
        description="S0-14: December's form is due by this day of December (e.g. 11); it then "
        "covers December up to that day, and the January run is not made.",
    )
    roles: list[Role] = Field(
        default_factory=lambda: _roles("office_head", "leader_in_charge", "principal_leader")
    )
    format: FileFormat = "xlsx"


class QuarterlyReport(Section):
    enabled: bool = True
    at: time = Field(time(9, 0), description="Local time on 1 January, April, July and October.")
    roles: list[Role] = Field(
        default_factory=lambda: _roles("office_head", "leader_in_charge", "principal_leader")
    )
    format: FileFormat = "xlsx"


class HalfYearReport(Section):
    enabled: bool = True
    at: time = Field(time(9, 0), description="Local time on 1 July and 1 January.")
    roles: list[Role] = Field(
        default_factory=lambda: _roles("office_head", "leader_in_charge", "principal_leader")
    )
    format: FileFormat = "xlsx"


class AnnualReport(Section):
    enabled: bool = True
    month: int = Field(1, ge=1, le=12, description="Month it runs (S0-14 asks by 20 December).")
    day: int = Field(1, ge=1, le=28, description="Day it runs; in December: the year so far.")
    at: time = Field(time(9, 0), description="Local time.")
    roles: list[Role] = Field(
        default_factory=lambda: _roles("office_head", "leader_in_charge", "principal_leader")
    )
    format: FileFormat = "xlsx"


class Reports(Section):
    office_name: str = Field("", description="填报单位; default: the first configured unit.")
    phone: str = Field("", description="联系电话 on the S0-14 form.")
    filled_by: str | None = Field(
        None,
        description="填表人/报送人 of scheduled reports and when --by is not given: a person id; "
        "default: the first office_staff.",
    )
    link_ttl_hours: float = Field(
        24 * 30, gt=0, le=24 * 366, description="How long a report's download link works."
    )
    daily: DailyReport = Field(default_factory=DailyReport)
    weekly: WeeklyReport = Field(default_factory=WeeklyReport)
    monthly: MonthlyReport = Field(default_factory=MonthlyReport)
    quarterly: QuarterlyReport = Field(default_factory=QuarterlyReport)
    halfyear: HalfYearReport = Field(default_factory=HalfYearReport)
    annual: AnnualReport = Field(default_factory=AnnualReport)

    @field_validator("office_name", "phone")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be one line")
        return value.strip()
