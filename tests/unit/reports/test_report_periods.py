"""Report periods as a truth table: which local days a report covers, the label people read, what
a scheduled run on a given day reports (S0-14's December form and the annual report in December
included), the instants in the office's zone, and the options a person types."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from models.reports.periods import (
    Period,
    PeriodError,
    ReportKind,
    parse_period,
    period_containing,
    reported_period,
)
from models.reports.schedule import Timing, crons

SHANGHAI = ZoneInfo("Asia/Shanghai")
D, W, M, Q, H, A = (
    ReportKind.DAILY,
    ReportKind.WEEKLY,
    ReportKind.MONTHLY,
    ReportKind.QUARTERLY,
    ReportKind.HALFYEAR,
    ReportKind.ANNUAL,
)


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "label"),
    [
        (D, date(2026, 11, 22), date(2026, 11, 22), date(2026, 11, 23), "2026-11-22"),
        (W, date(2026, 11, 22), date(2026, 11, 16), date(2026, 11, 23), "2026-W47"),
        (W, date(2026, 12, 31), date(2026, 12, 28), date(2027, 1, 4), "2026-W53"),
        (M, date(2026, 2, 14), date(2026, 2, 1), date(2026, 3, 1), "2026-02"),
        (M, date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1), "2026-12"),
        (Q, date(2026, 3, 31), date(2026, 1, 1), date(2026, 4, 1), "2026-Q1"),
        (Q, date(2026, 11, 22), date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
        (H, date(2026, 6, 30), date(2026, 1, 1), date(2026, 7, 1), "2026-H1"),
        (H, date(2026, 7, 1), date(2026, 7, 1), date(2027, 1, 1), "2026-H2"),
        (A, date(2026, 5, 5), date(2026, 1, 1), date(2027, 1, 1), "2026"),
    ],
)
def test_period_containing_a_day(
    kind: ReportKind, day: date, start: date, end: date, label: str
) -> None:
    assert period_containing(kind, day) == Period(kind, start, end, label)


@pytest.mark.parametrize(
    ("kind", "run_day", "december_day", "start", "end"),
    [
        (D, date(2026, 11, 22), None, date(2026, 11, 22), date(2026, 11, 23)),  # the day itself
        (W, date(2026, 11, 23), None, date(2026, 11, 16), date(2026, 11, 23)),  # Monday: last week
        (M, date(2026, 12, 1), None, date(2026, 11, 1), date(2026, 12, 1)),
        (M, date(2027, 1, 1), None, date(2026, 12, 1), date(2027, 1, 1)),
        (M, date(2026, 12, 11), 11, date(2026, 12, 1), date(2026, 12, 11)),  # S0-14: by 11 Dec
        (M, date(2026, 12, 1), 11, date(2026, 11, 1), date(2026, 12, 1)),  # November as usual
        (
            M,
            date(2026, 12, 5),
            None,
            date(2026, 11, 1),
            date(2026, 12, 1),
        ),  # any later day: last month
        (Q, date(2026, 10, 1), None, date(2026, 7, 1), date(2026, 10, 1)),  # S0-12: quarter end
        (Q, date(2027, 1, 1), None, date(2026, 10, 1), date(2027, 1, 1)),
        (H, date(2026, 7, 1), None, date(2026, 1, 1), date(2026, 7, 1)),
        (H, date(2027, 1, 1), None, date(2026, 7, 1), date(2027, 1, 1)),
        (A, date(2027, 1, 1), None, date(2026, 1, 1), date(2027, 1, 1)),
        (A, date(2026, 12, 20), None, date(2026, 1, 1), date(2026, 12, 20)),  # S0-14: by 20 Dec
    ],
)
def test_what_a_scheduled_run_reports(
    kind: ReportKind, run_day: date, december_day: int | None, start: date, end: date
) -> None:
    period = reported_period(kind, run_day, december_day=december_day)
    assert (period.start, period.end) == (start, end)


def test_an_early_report_says_it_is_cut_off() -> None:
    assert reported_period(M, date(2026, 12, 11), december_day=11).label == "2026-12（截至12-11）"
    assert reported_period(A, date(2026, 12, 20)).label == "2026（截至12-20）"


def test_bounds_are_local_midnights_in_utc() -> None:
    start, end = period_containing(M, date(2026, 11, 5)).bounds(SHANGHAI)
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "options", "label"),
    [
        (M, {"month": "2026-11"}, "2026-11"),
        (D, {"day": "2026-11-22"}, "2026-11-22"),
        (W, {"day": "2026-11-22"}, "2026-W47"),
        (H, {"month": "2026-11"}, "2026-H2"),
        (A, {"year": "2026"}, "2026"),
        (M, {}, "2026-10"),  # nothing named: what today's scheduled run reports
    ],
)
def test_parse_period_reads_what_people_type(
    kind: ReportKind, options: dict[str, str], label: str
) -> None:
    assert parse_period(kind, today=date(2026, 11, 22), **options).label == label


@pytest.mark.parametrize(
    ("kind", "options", "names"),
    [
        (M, {"month": "2026-13"}, "--month"),
        (M, {"month": "Nov"}, "--month"),
        (D, {"day": "2026-02-30"}, "--date"),
        (A, {"year": "26"}, "--year"),
        (M, {"year": "2026"}, "--year"),
        (D, {"month": "2026-11"}, "--month"),
    ],
)
def test_unreadable_options_are_refused_naming_the_option(
    kind: ReportKind, options: dict[str, str], names: str
) -> None:
    with pytest.raises(PeriodError, match=names):
        parse_period(kind, today=date(2026, 11, 22), **options)


@pytest.mark.parametrize(
    ("timing", "expected"),
    [
        (Timing(D, time(17, 0)), ("0 17 * * *",)),
        (Timing(W, time(9, 30)), ("30 9 * * 1",)),
        (Timing(W, time(9), weekday="sunday"), ("0 9 * * 0",)),
        (Timing(M, time(9)), ("0 9 1 * *",)),
        (
            Timing(M, time(9), december_day=11),
            ("0 9 1 2-12 *", "0 9 11 12 *"),  # December's form on the 11th, no January run
        ),
        (Timing(Q, time(9)), ("0 9 1 1,4,7,10 *",)),  # S0-12: each quarter's end
        (Timing(H, time(9)), ("0 9 1 1,7 *",)),
        (Timing(A, time(9), month=12, day=20), ("0 9 20 12 *",)),
    ],
)
def test_cron_of_each_kind(timing: Timing, expected: tuple[str, ...]) -> None:
    assert crons(timing) == expected
