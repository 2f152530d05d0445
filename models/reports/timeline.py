"""Cases opened over time, by grade and by category: per local day for a period of up to a
month, per month beyond, every bucket of the period listed (an empty day shows 0, so a chart's
axis is even). Standard library only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from models.reports.document import Cell, Table
from models.reports.labels import Labels
from models.reports.periods import Period
from models.reports.rows import CaseRow


def buckets(period: Period) -> list[str]:
    """The bucket labels of a period: 11-01 … per day, 2026-01 … per month."""
    if period.days <= 31:
        return [f"{period.start + timedelta(days=n):%m-%d}" for n in range(period.days)]
    labels, day = [], period.start
    while day < period.end:
        labels.append(f"{day:%Y-%m}")
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return labels


def bucket_of(period: Period) -> Callable[[date], str]:
    return (lambda d: f"{d:%m-%d}") if period.days <= 31 else (lambda d: f"{d:%Y-%m}")


def series(
    cases: Sequence[CaseRow], period: Period, labels: Labels, by: Callable[[CaseRow], str]
) -> tuple[list[str], dict[str, list[int]]]:
    """(bucket labels, name → counts per bucket) of the cases, grouped by `by`."""
    names = buckets(period)
    index = {name: n for n, name in enumerate(names)}
    key = bucket_of(period)
    counts: dict[str, Counter[int]] = {}
    for case in cases:
        day = case.discovered_at.astimezone(labels.tz).date()
        position = index.get(key(day))
        if position is not None:
            counts.setdefault(by(case), Counter())[position] += 1
    return names, {k: [c[n] for n in range(len(names))] for k, c in counts.items()}


def opened_over_time(cases: Sequence[CaseRow], period: Period, labels: Labels) -> Table:
    names, by_grade = series(cases, period, labels, lambda c: c.grade)
    grades = labels.grade_order(list(labels.grades))
    rows: list[tuple[Cell, ...]] = []
    for n, name in enumerate(names):
        counts = [by_grade.get(g, [0] * len(names))[n] for g in grades]
        rows.append((name, *counts, sum(counts)))
    headers = ("日期" if period.days <= 31 else "月份", *(labels.grade(g) for g in grades), "合计")
    return Table("timeline", "新增趋势", headers, rows, widths=(10, *(8,) * (len(grades) + 1)))
