"""Report kinds and the periods they cover, as pure functions of local dates.

A period is a half-open range of local days [start, end) in the office's time zone, with a label
people recognise (2026-11-22, 2026-W47, 2026-11, 2026-Q4, 2026-H2, 2026). A scheduled report run
on local day D reports the last whole period before D's (the weekly run on Monday the week that
ended on Sunday, the monthly run the month before), except where the seeds ask for a report
before its period ends: S0-14's December form, due on a configured day of December, covers
December up to that day, and an annual report run in December (S0-14: by 20 December) covers the
year so far. The daily digest reports the run day itself (seeds-spec §3.4 P01). Standard library
only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class ReportKind(StrEnum):
    """What a stored report is; values are stored as text."""

    DAILY = "daily"  # 每日汇总 17:00 (S1-5)
    WEEKLY = "weekly"  # 信息周报 (S0-4)
    MONTHLY = "monthly"  # 月度台账 (S0-14)
    QUARTERLY = "quarterly"  # 季度报告：存在问题及处置情况 (S0-12; S3-9a P14/P15)
    HALFYEAR = "halfyear"  # 半年报告 (S0-12)
    ANNUAL = "annual"  # 年度报告 (S0-14, S0-12)
    QUICK = "quick"  # 舆情快报: one case's quick-report document (S1-4 §13)


PERIODIC = (
    ReportKind.DAILY,
    ReportKind.WEEKLY,
    ReportKind.MONTHLY,
    ReportKind.QUARTERLY,
    ReportKind.HALFYEAR,
    ReportKind.ANNUAL,
)
KIND_LABELS = {
    ReportKind.DAILY: "每日舆情汇总",
    ReportKind.WEEKLY: "舆情信息周报",
    ReportKind.MONTHLY: "月度工作台账",
    ReportKind.QUARTERLY: "季度舆情工作报告",
    ReportKind.HALFYEAR: "半年舆情工作报告",
    ReportKind.ANNUAL: "年度舆情工作报告",
    ReportKind.QUICK: "舆情快报",
}


class PeriodError(ValueError):
    """A period asked for in a form that cannot be read; the message names the field."""


@dataclass(frozen=True)
class Period:
    """Local days [start, end) of one report, and its label."""

    kind: ReportKind
    start: date
    end: date  # exclusive
    label: str

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as aware UTC instants: local midnight of `start` and of `end`."""
        return _midnight(self.start, tz), _midnight(self.end, tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def describe(self) -> str:
        """E.g. 2026-11-01 至 2026-11-30."""
        return f"{self.start.isoformat()} 至 {(self.end - timedelta(days=1)).isoformat()}"


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def period_containing(kind: ReportKind, day: date) -> Period:
    """The whole period of `kind` that contains local day `day`."""
    if kind is ReportKind.DAILY:
        return Period(kind, day, day + timedelta(days=1), day.isoformat())
    if kind is ReportKind.WEEKLY:
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Period(kind, start, start + timedelta(days=7), f"{year}-W{week:02d}")
    if kind is ReportKind.MONTHLY:
        start = day.replace(day=1)
        return Period(kind, start, _add_months(start, 1), f"{start:%Y-%m}")
    if kind is ReportKind.QUARTERLY:
        quarter = (day.month - 1) // 3 + 1
        start = date(day.year, 3 * quarter - 2, 1)
        return Period(kind, start, _add_months(start, 3), f"{day.year}-Q{quarter}")
    if kind is ReportKind.HALFYEAR:
        half = 1 if day.month <= 6 else 2
        start = date(day.year, 1 if half == 1 else 7, 1)
        return Period(kind, start, _add_months(start, 6), f"{day.year}-H{half}")
    if kind is ReportKind.ANNUAL:
        return Period(kind, date(day.year, 1, 1), date(day.year + 1, 1, 1), str(day.year))
    raise PeriodError(f"{kind.value} 不是周期报告 (not a periodic report kind)")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def reported_period(kind: ReportKind, run_day: date, *, december_day: int | None = None) -> Period:
    """What a scheduled run on local day `run_day` reports (see the module docstring)."""
    if kind is ReportKind.DAILY:
        return period_containing(kind, run_day)
    current = period_containing(kind, run_day)
    early_december = kind is ReportKind.MONTHLY and (run_day.month, run_day.day) == (
        12,
        december_day,
    )
    if early_december or (kind is ReportKind.ANNUAL and run_day.month == 12):
        return Period(kind, current.start, run_day, f"{current.label}（截至{run_day:%m-%d}）")
    return period_containing(kind, current.start - timedelta(days=1))


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def parse_period(
    kind: ReportKind,
    *,
    day: str | None = None,
    month: str | None = None,
    year: str | None = None,
    today: date,
) -> Period:
    """The period a person names on the command line: `--date 2026-11-22` (any kind: the period
    containing that day), `--month 2026-11` (the month, or the quarter or half year containing
    it), `--year
    2026` (annual only); none: the period the scheduled
    run of today reports. PeriodError naming the option when a value cannot be read."""
    if day is not None:
        return period_containing(kind, _read(day, "--date", "%Y-%m-%d"))
    if month is not None:
        first = _read(month, "--month", "%Y-%m")
        if kind in (ReportKind.DAILY, ReportKind.WEEKLY):
            raise PeriodError(f"--month 不适用于{KIND_LABELS[kind]}，请用 --date")
        return period_containing(kind, first)
    if year is not None:
        if not (year.isdigit() and len(year) == 4):
            raise PeriodError(f"--year 应为四位年份，例如 2026，而不是 {year!r}")
        if kind is not ReportKind.ANNUAL:
            raise PeriodError(f"--year 只适用于年度报告，{KIND_LABELS[kind]}请用 --month 或 --date")
        return period_containing(kind, date(int(year), 1, 1))
    return reported_period(kind, today)


def _read(text: str, option: str, pattern: str) -> date:
    try:
        return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a local date, no time
    except ValueError:
        example = "2026-11" if option == "--month" else "2026-11-22"
        raise PeriodError(f"{option} 无法识别 {text!r}，格式如 {example}") from None
