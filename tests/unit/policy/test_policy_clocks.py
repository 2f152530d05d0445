"""Deadline arithmetic on the three clocks, against the State Council calendar (with 调休),
Civil Code period rules, time zones, the coverage guard and provisional due times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from models.policy import (
    CalendarOverrides,
    Clock,
    PolicyError,
    UnknownCalendarYear,
    WorkCalendar,
    due_at,
    due_at_provisional,
)
from models.store.presets import default_policy
from tests.unit.policy.policy_support import SH, local


@dataclass(frozen=True)
class Case:
    id: str
    amount: timedelta | int
    clock: Clock
    anchor: str
    expected: str
    closing_time: time | None = None


H, D = timedelta(hours=1), timedelta(days=1)
W, C, WD = Clock.wall, Clock.calendar_days, Clock.working_days
CASES = [
    Case("wall-across-midnight", timedelta(minutes=30), W, "2026-03-02 23:50", "2026-03-03 00:20"),
    Case("wall-across-national-day", 24 * H, W, "2026-09-30 16:00", "2026-10-01 16:00"),
    Case("wall-across-spring-festival", 48 * H, W, "2025-01-28 10:00", "2025-01-30 10:00"),
    Case("calendar-days-plain", 2, C, "2026-03-02 09:00", "2026-03-05 00:00"),
    Case(
        "calendar-days-end-on-national-day-moves-after-it",
        3,
        C,
        "2026-09-28 09:00",
        "2026-10-09 00:00",
    ),
    Case(
        "calendar-days-end-on-sunday-moves-to-monday", 3, C, "2026-03-04 09:00", "2026-03-10 00:00"
    ),
    Case(
        "calendar-days-end-on-make-up-saturday-stays", 3, C, "2026-10-07 09:00", "2026-10-11 00:00"
    ),
    Case("working-days-across-weekend", 1, WD, "2026-03-06 15:00", "2026-03-10 00:00"),
    Case("working-days-5-from-2025-09-26", 5, WD, "2025-09-26 10:00", "2025-10-11 00:00"),
    Case(
        "working-days-5-across-spring-festival-2026", 5, WD, "2026-02-12 10:00", "2026-02-27 00:00"
    ),
    Case("working-days-5-across-national-day-2026", 5, WD, "2026-09-29 10:00", "2026-10-13 00:00"),
    Case("working-days-across-spring-festival-2025", 3, WD, "2025-01-24 10:00", "2025-02-06 00:00"),
    Case("working-days-across-national-day-2025", 1, WD, "2025-09-30 10:00", "2025-10-10 00:00"),
    Case("working-days-make-up-sunday-counts", 1, WD, "2026-09-18 15:00", "2026-09-21 00:00"),
    Case("working-days-make-up-saturday-counts", 1, WD, "2026-10-09 15:00", "2026-10-11 00:00"),
    Case("working-days-start-on-holiday", 1, WD, "2026-10-03 11:00", "2026-10-09 00:00"),
    Case("wall-start-on-holiday", 5 * H, W, "2026-10-03 11:00", "2026-10-03 16:00"),
    Case("working-days-closing-time", 1, WD, "2026-03-06 15:00", "2026-03-09 17:30", time(17, 30)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_due_at_table(case: Case, cal: WorkCalendar) -> None:
    due = due_at(
        (case.amount, case.clock),
        local(case.anchor),
        calendar=cal,
        tz=SH,
        closing_time=case.closing_time,
    )
    assert due.at == local(case.expected)
    assert due.at.tzinfo is UTC
    assert due.provisional is False


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2025, 9, 26), date(2025, 10, 10)),
        (date(2026, 2, 12), date(2026, 2, 26)),
        (date(2026, 9, 29), date(2026, 10, 12)),
    ],
    ids=["2025-09-26", "2026-02-12", "2026-09-29"],
)
def test_add_five_working_days_known_good(start: date, expected: date, cal: WorkCalendar) -> None:
    assert cal.add_working_days(start, 5) == expected
    assert chinese_calendar.find_workday(5, start) == expected


def test_every_day_of_2024_to_2026_agrees_with_chinese_calendar(cal: WorkCalendar) -> None:
    day, differences = date(2024, 1, 1), []
    while day.year <= 2026:
        if cal.is_working_day(day) != chinese_calendar.is_workday(day):
            differences.append(day)
        day += timedelta(days=1)
    assert differences == []


def test_anchor_in_utc_uses_local_start_day(cal: WorkCalendar) -> None:
    # 2026-09-29 17:00 UTC is 2026-09-30 01:00 in Shanghai: the start day is 09-30.
    anchor = datetime(2026, 9, 29, 17, 0, tzinfo=UTC)
    due = due_at((1, Clock.working_days), anchor, calendar=cal, tz=SH)
    assert due.at == local("2026-10-09 00:00")


def test_other_time_zone_changes_day_boundaries(cal: WorkCalendar) -> None:
    anchor = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    due = due_at((1, Clock.calendar_days), anchor, calendar=cal, tz=ZoneInfo("UTC"))
    assert due.at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "clock", "anchor", "year"),
    [
        (1, Clock.working_days, "2027-03-01 09:00", 2027),
        (5, Clock.working_days, "2026-12-30 09:00", 2027),
        (2, Clock.calendar_days, "2027-01-04 09:00", 2027),
        (1, Clock.working_days, "2030-06-03 09:00", 2030),
    ],
    ids=["inside-2027", "crossing-into-2027", "calendar-days-2027", "inside-2030"],
)
def test_unknown_year_is_refused_naming_it(
    amount: int, clock: Clock, anchor: str, year: int, cal: WorkCalendar
) -> None:
    with pytest.raises(UnknownCalendarYear) as info:
        due_at((amount, clock), local(anchor), calendar=cal, tz=SH)
    assert info.value.year == year
    assert str(year) in str(info.value)


def test_wall_clock_needs_no_calendar_year(cal: WorkCalendar) -> None:
    due = due_at((3 * H, Clock.wall), local("2031-01-01 09:00"), calendar=cal, tz=SH)
    assert due.at == local("2031-01-01 12:00") and not due.provisional


def test_provisional_due_counts_weekends_and_days_off_by_law(cal: WorkCalendar) -> None:
    due = due_at_provisional(
        (1, Clock.working_days), local("2027-10-01 09:00"), calendar=cal, tz=SH
    )
    assert due.provisional is True
    assert due.at == local("2027-10-05 00:00")  # Fri → Mon 10-04 (no swaps are guessed)


def test_provisional_is_not_set_when_year_is_covered(cal: WorkCalendar) -> None:
    due = due_at_provisional(
        (1, Clock.working_days), local("2026-10-09 09:00"), calendar=cal, tz=SH
    )
    assert due == due_at((1, Clock.working_days), local("2026-10-09 09:00"), calendar=cal, tz=SH)


def test_overrides_declare_a_new_year() -> None:
    days_off = frozenset(date(2027, 10, d) for d in range(1, 8))
    overrides = CalendarOverrides(
        holidays=days_off, workdays=frozenset({date(2027, 10, 9)}), covered_years=frozenset({2027})
    )
    cal = WorkCalendar(overrides)
    due = due_at((2, Clock.working_days), local("2027-09-30 09:00"), calendar=cal, tz=SH)
    assert due.at == local("2027-10-10 00:00")  # 10-08 Fri, 10-09 Sat (make-up) — no guessing
    assert not due.provisional


def test_overrides_amend_a_covered_year() -> None:
    overrides = CalendarOverrides(holidays=frozenset({date(2026, 3, 9)}))
    cal = WorkCalendar(overrides)
    assert not cal.is_working_day(date(2026, 3, 9))
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 10)


def test_override_day_in_both_lists_is_refused() -> None:
    with pytest.raises(PolicyError, match="2026-03-09"):
        CalendarOverrides(
            holidays=frozenset({date(2026, 3, 9)}), workdays=frozenset({date(2026, 3, 9)})
        )


def test_coverage_follows_library_data(cal: WorkCalendar) -> None:
    assert all(cal.is_covered(y) for y in (2024, 2025, 2026))
    assert not cal.is_covered(2027)


@pytest.mark.parametrize(
    "spec",
    [
        (timedelta(0), Clock.wall),
        (0, Clock.working_days),
        (-1, Clock.calendar_days),
    ],
    ids=["zero-wall", "zero-working-days", "negative-calendar-days"],
)
def test_non_positive_amounts_are_refused(
    spec: tuple[timedelta | int, Clock], cal: WorkCalendar
) -> None:
    with pytest.raises(PolicyError):
        due_at(spec, local("2026-03-02 09:00"), calendar=cal, tz=SH)


def test_naive_anchor_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(PolicyError, match="时区"):
        due_at((H, Clock.wall), datetime(2026, 3, 2, 9, 0), calendar=cal)  # noqa: DTZ001


def test_default_rule_due_at_contract(cal: WorkCalendar) -> None:

    policy = default_policy()
    rules = policy.obligations_for("g1")
    due = due_at(rules[0], local("2026-09-30 16:00"), calendar=cal, tz=ZoneInfo(policy.timezone))
    assert rules[0].key == "quick_report"
    assert due.at == datetime(2026, 9, 30, 8, 30, tzinfo=UTC) and not due.provisional
