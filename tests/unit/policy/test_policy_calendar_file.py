"""The calendar after the `holidays` package's last official year: the office's calendar file
(`[calendar] file`, the State Council's notice as `holidays`/`workdays` lists) merged over the
package, what a year nobody has published yet counts (weekends and the days off by law: never
元旦), where `yuqing calendar show` says each day comes from, and the warnings operators get."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from models.policy import Clock, WorkCalendar, due_at, due_at_provisional
from models.policy.calendar import DaySource, calendar_warnings
from models.policy.calendar_file import CalendarInvalid, parse_calendar
from tests.unit.policy.policy_support import SH, local

NOTICE_2027 = {  # the shape of a State Council notice: holidays with weekends inside, 调休
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-02-05", "2027-02-06"],
    "workdays": ["2027-02-20"],
}


def test_a_deadline_from_2026_12_28_never_counts_new_year_without_a_file() -> None:
    """5 working days from Mon 2026-12-28: 29, 30, 31 December, then 4 and 5 January — 1 January
    (元旦, a day off by law) is not one, although 2027's arrangement is not published."""
    due = due_at_provisional(
        (5, Clock.working_days), local("2026-12-28 10:00"), calendar=WorkCalendar(), tz=SH
    )
    assert due.provisional
    assert due.at == local("2027-01-06 00:00")


def test_a_deadline_from_2026_12_28_with_the_file_is_firm() -> None:
    calendar = WorkCalendar(parse_calendar(NOTICE_2027))
    due = due_at((5, Clock.working_days), local("2026-12-28 10:00"), calendar=calendar, tz=SH)
    assert not due.provisional
    assert due.at == local("2027-01-06 00:00")


def test_the_file_decides_make_up_days_of_its_year() -> None:
    calendar = WorkCalendar(parse_calendar(NOTICE_2027))
    assert calendar.is_working_day(date(2027, 2, 20))  # a Saturday worked (调休)
    assert not calendar.is_working_day(date(2027, 2, 8))  # 初三: off by law, even unlisted
    assert calendar.is_working_day(date(2027, 2, 9))  # the package's guess is not taken
    assert calendar.coverage(2027) == DaySource.FILE
    assert calendar.coverage(2026) == DaySource.LIBRARY
    assert calendar.coverage(2028) is None


def test_the_file_amends_a_year_the_package_knows() -> None:
    calendar = WorkCalendar(parse_calendar({"holidays": ["2026-03-09"]}))
    assert not calendar.is_working_day(date(2026, 3, 9))
    for day in (date(2026, 2, 14), date(2026, 10, 8), date(2026, 10, 9)):  # the rest unchanged
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day)


def test_show_lists_each_day_with_its_source() -> None:
    calendar = WorkCalendar(parse_calendar({"holidays": ["2026-03-09"]}))
    days = {day: (working, source) for day, working, source in calendar.special_days(2026)}
    assert days[date(2026, 3, 9)] == (False, DaySource.FILE)
    assert days[date(2026, 10, 1)] == (False, DaySource.LIBRARY)
    assert days[date(2026, 10, 10)] == (True, DaySource.LIBRARY)  # a Saturday worked
    unknown = {day: source for day, _, source in WorkCalendar().special_days(2027)}
    assert unknown[date(2027, 1, 1)] == DaySource.LAW
    assert date(2027, 10, 4) not in unknown  # the package's "observed" guess is not shown


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"holidays": ["2027-13-01"]}, "holidays[0]"),
        ({"workdays": "2027-02-20"}, "workdays: 须是日期数组"),
        ({"holiday": ["2027-01-01"]}, "holiday: 未知字段"),
        ({"holidays": ["1899-01-01"]}, "年份须在"),
        ({"holidays": ["2027-02-20"], "workdays": ["2027-02-20"]}, "2027-02-20"),
    ],
)
def test_a_bad_file_is_refused_naming_the_entry(data: dict[str, object], named: str) -> None:
    with pytest.raises(CalendarInvalid, match=r"\[calendar\] file") as info:
        parse_calendar(data, origin="calendar.toml")
    assert named in str(info.value) and "calendar.toml" in str(info.value)


def test_operators_are_warned_from_1_december_when_next_year_is_missing() -> None:
    calendar = WorkCalendar()
    assert calendar_warnings(calendar, date(2026, 11, 30)) == []
    (warning,) = calendar_warnings(calendar, date(2026, 12, 1))
    assert "2027" in warning and "[calendar] file" in warning
    assert len(calendar_warnings(calendar, date(2027, 3, 1))) == 1  # the year itself is unknown
    assert calendar_warnings(WorkCalendar(parse_calendar(NOTICE_2027)), date(2026, 12, 1)) == []
