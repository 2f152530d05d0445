"""The working-day calendar of the State Council (国务院) with local overrides.

Which days are off and which are working days, and for which years that is known. Statutory
holidays come from the ``holidays`` package; 调休 make-up days (a Saturday or Sunday declared a
working day) count as working days. ``holidays`` silently guesses years it has no official data
for, so a year is *covered* only when the package lists make-up weekend workdays for it or the
caller's overrides (the office's calendar file, ``[calendar] file``) declare it. For a year the
overrides declare, the package's guessed swaps are ignored: weekends, the days off by law (元旦,
春节…: the package's rule-based days that are not "observed" guesses) and the override days are
the whole truth. A year nobody covers is computed *provisionally* the same way without
overrides — never counting 元旦 or National Day as a working day — and flagged. Reading override
files is not done here (``models.store.calendar_file``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

from models.policy.errors import PolicyError, UnknownCalendarYear

__all__ = [
    "CalendarOverrides",
    "DaySource",
    "UnknownCalendarYear",
    "WorkCalendar",
    "YearDays",
    "calendar_warning",
    "calendar_warnings",
    "library_year",
    "missing_years",
]

GUESSED = "(observed)"  # how the package names a swapped day it guessed by rule


@dataclass(frozen=True)
class YearDays:
    """One year's days from the package: days off (official, or guessed for a year it has no
    data for), make-up weekend working days, and the days off by law (never its guesses)."""

    days_off: frozenset[date]
    workdays: frozenset[date]
    statutory: frozenset[date] = frozenset()

    @property
    def has_official_data(self) -> bool:
        return bool(self.workdays)


@lru_cache(maxsize=64)
def library_year(year: int) -> YearDays:
    """The ``holidays`` package's data for ``year`` (neighbouring years loaded for swaps)."""
    cn = holidays.country_holidays("CN", years=[year - 1, year, year + 1])
    off = frozenset(d for d in cn if d.year == year)
    work = frozenset(d for d in cn.weekend_workdays if d.year == year)
    law = frozenset(d for d in off if GUESSED not in str(cn.get(d, "")))
    return YearDays(days_off=off, workdays=work, statutory=law)


class DaySource:
    """Where ``WorkCalendar.special_days`` says a day comes from."""

    LIBRARY = "library"  # the State Council's arrangement as the holidays package has it
    FILE = "file"  # the office's calendar file
    LAW = "law"  # a day off by law, in a year with no official arrangement yet


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

    def coverage(self, year: int) -> str | None:
        """Who covers ``year``: ``DaySource.LIBRARY``, ``DaySource.FILE``, or None (provisional)."""
        if library_year(year).has_official_data:
            return DaySource.LIBRARY
        return DaySource.FILE if year in self.overrides.covered_years else None

    def special_days(self, year: int) -> list[tuple[date, bool, str]]:
        """The holidays (days off, weekends inside a holiday included) and the make-up working
        days of ``year``, in order: (day, working, source). An uncovered year lists the days off
        by law (source ``DaySource.LAW``): that is all a provisional computation knows."""
        lib = library_year(year)
        found: dict[date, tuple[bool, str]] = {}
        if lib.has_official_data:
            found |= {day: (False, DaySource.LIBRARY) for day in lib.days_off}
            found |= {day: (True, DaySource.LIBRARY) for day in lib.workdays}
        else:
            found |= {day: (False, DaySource.LAW) for day in lib.statutory}
        mine = (self.overrides.holidays, False), (self.overrides.workdays, True)
        for days, working in mine:
            found |= {day: (working, DaySource.FILE) for day in days if day.year == year}
        return [(day, *found[day]) for day in sorted(found)]

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
        lib = library_year(day.year)
        if not lib.has_official_data:
            if not provisional and day.year not in self.overrides.covered_years:
                raise UnknownCalendarYear(day.year)
            return day.weekday() < 5 and day not in lib.statutory
        if day in lib.workdays:
            return True
        return day.weekday() < 5 and day not in lib.days_off

    def is_statutory_holiday(self, day: date, *, provisional: bool = False) -> bool:
        """True on a statutory day off (not an ordinary weekend)."""
        if day in self.overrides.holidays:
            return True
        if day in self.overrides.workdays:
            return False
        lib = library_year(day.year)
        if lib.has_official_data:
            return day in lib.days_off
        if not provisional and day.year not in self.overrides.covered_years:
            raise UnknownCalendarYear(day.year)
        return day in lib.statutory

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


def missing_years(calendar: WorkCalendar, today: date) -> list[int]:
    """The years operators must be told the calendar lacks on `today` (local): this year, and
    from 1 December next year (the State Council publishes it each autumn)."""
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    return [year for year in years if not calendar.is_covered(year)]


def calendar_warning(year: int) -> str:
    return (
        f"calendar.file: 日历缺少 {year} 年的国务院节假日与调休安排，按工作日计算的时限将标为"
        f"“暂定”；请把国务院办公厅通知中的放假日期（holidays）和调休上班日期（workdays）写入 "
        f"[calendar] file 指定的日历文件（yuqing calendar show {year} 查看）"
    )


def calendar_warnings(calendar: WorkCalendar, today: date) -> list[str]:
    """What operators must be told about the calendar on `today` (local)."""
    return [calendar_warning(year) for year in missing_years(calendar, today)]
