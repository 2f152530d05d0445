"""The working-day calendar of the State Council (国务院) with local overrides.

Which days are off and which are working days, and for which years that is known. Statutory
holidays come from the ``holidays`` package; 调休 make-up days (a Saturday or Sunday declared a
working day) count as working days. ``holidays`` silently guesses years it has no official data
for, so a year is *covered* only when the package lists make-up weekend workdays for it or the
caller's overrides declare it. For an override-declared year the package's guesses are ignored:
weekends plus the override days are the whole truth. Reading override files is not done here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

from models.policy.errors import PolicyError, UnknownCalendarYear

__all__ = ["CalendarOverrides", "UnknownCalendarYear", "WorkCalendar", "YearDays", "library_year"]


@dataclass(frozen=True)
class YearDays:
    """One year's official days: statutory days off and make-up weekend working days."""

    days_off: frozenset[date]
    workdays: frozenset[date]

    @property
    def has_official_data(self) -> bool:
        return bool(self.workdays)


@lru_cache(maxsize=64)
def library_year(year: int) -> YearDays:
    """The ``holidays`` package's data for ``year`` (neighbouring years loaded for swaps)."""
    cn = holidays.country_holidays("CN", years=[year - 1, year, year + 1])
    off = frozenset(d for d in cn if d.year == year)
    work = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return YearDays(days_off=off, workdays=work)


@dataclass(frozen=True)
class CalendarOverrides:
    """Local corrections: extra days off, extra working days, and years declared complete."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    covered_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        both = sorted(self.holidays & self.workdays)
        if both:
            days = ", ".join(d.isoformat() for d in both)
            raise PolicyError(
                f"日历覆盖中以下日期既是假日又是工作日：{days} / "
                f"override dates listed as both holiday and workday: {days}"
            )


@dataclass(frozen=True)
class WorkCalendar:
    """Answers ``is_working_day`` for covered years; uncovered years raise or fall back."""

    overrides: CalendarOverrides = field(default_factory=CalendarOverrides)

    @classmethod
    def default(cls) -> WorkCalendar:
        """The ``holidays`` package's calendar with no local overrides."""
        return cls()

    def is_covered(self, year: int) -> bool:
        return year in self.overrides.covered_years or library_year(year).has_official_data

    def require_covered(self, years: Iterable[int]) -> None:
        """Raise ``UnknownCalendarYear`` for the first year in ``years`` that is not covered."""
        for year in sorted(set(years)):
            if not self.is_covered(year):
                raise UnknownCalendarYear(year)

    def is_working_day(self, day: date, *, provisional: bool = False) -> bool:
        """True on a working day. An uncovered year raises unless ``provisional`` is set, in
        which case only weekends (and override days) are off for that year."""
        if day in self.overrides.workdays:
            return True
        if day in self.overrides.holidays:
            return False
        if not self.is_covered(day.year):
            if not provisional:
                raise UnknownCalendarYear(day.year)
            return day.weekday() < 5
        if day.year in self.overrides.covered_years and not library_year(day.year).workdays:
            return day.weekday() < 5
        lib = library_year(day.year)
        if day in lib.workdays:
            return True
        return day.weekday() < 5 and day not in lib.days_off

    def is_statutory_holiday(self, day: date, *, provisional: bool = False) -> bool:
        """True on a statutory day off (not an ordinary weekend)."""
        if day in self.overrides.holidays:
            return True
        if day in self.overrides.workdays:
            return False
        if not self.is_covered(day.year):
            if not provisional:
                raise UnknownCalendarYear(day.year)
            return False
        lib = library_year(day.year)
        return lib.has_official_data and day in lib.days_off

    def add_working_days(self, start: date, n: int, *, provisional: bool = False) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is never counted)."""
        if n < 1:
            raise PolicyError(f"工作日数必须 ≥ 1，实际为 {n} / working days must be >= 1, got {n}")
        day, left = start, n
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day, provisional=provisional):
                left -= 1
        return day

    def next_working_day_from(self, day: date, *, provisional: bool = False) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day, provisional=provisional):
            day += timedelta(days=1)
        return day
