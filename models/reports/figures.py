"""The report figures as pure functions over rows (`models.reports.rows`), each a truth table:
how a deadline is classed (on time, late, still open, open past due, cancelled), the on-time
rate, the quantiles of time to acknowledge and to complete, the overdue units ranked, and the
counts of cases by grade, category, source and unit. Obligations are consumed as a stream
(`SlaTally.add`), so a year of deadlines never has to sit in memory as objects.

Definitions (the same in the report's 说明 sheet):
- figures are as of the report's time: what happened after it has not happened yet;
- a deadline is *due in the period* when its due time falls in it; one cancelled before it
  lapsed (a stage skipped, a case closed early) is counted apart and never in a rate;
- *on time*: completed at or before the due time; *late*: completed after it; *unmet*: not
  completed and past due, still open or cancelled after its escalation had fired; *pending*:
  open and not yet due;
- on-time rate = on time / (on time + late + unmet), None when that is 0;
- times to acknowledge and to complete count from the deadline's anchor; median and p90 are
  nearest-rank (the ⌈q·n⌉-th smallest), so a SQL query can reproduce them exactly.
Standard library only."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from models.reports.rows import NO_UNIT, CaseRow, ObligationRow, epoch


class Met(StrEnum):
    ON_TIME = "on_time"  # 按时
    LATE = "late"  # 超时完成
    UNMET = "unmet"  # 未完成已超时: open past due, or cancelled after it had lapsed
    PENDING = "pending"  # 未到期: open, not yet due
    CANCELLED = "cancelled"  # cancelled (or resolved as 不需要) before it lapsed: not counted


def classify(
    *,
    status: str,
    due_at: float,
    completed_at: float | None,
    as_of: float,
    level: int = 0,
) -> Met:
    """How one deadline stands at `as_of` (a completion after `as_of` has not happened yet);
    `level` > 0 means its escalation fired, so a cancellation came after it had lapsed. Times
    are seconds since the epoch (`models.reports.rows.epoch`). An obligation resolved as 不需要
    (waived) counts as a cancelled one: not due, unless it had lapsed first."""
    if status in ("cancelled", "waived"):
        return Met.UNMET if level > 0 else Met.CANCELLED
    if completed_at is not None and completed_at <= as_of:
        return Met.ON_TIME if completed_at <= due_at else Met.LATE
    return Met.UNMET if due_at < as_of else Met.PENDING


def rate(on_time: int, late: int, unmet: int) -> float | None:
    judged = on_time + late + unmet
    return None if judged == 0 else on_time / judged


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The ⌈q·n⌉-th smallest of `values` (None for none); `values` need not be sorted."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@dataclass
class Cell:
    """The SLA counts of one group of deadlines (`due` leaves out the cancelled)."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    unmet: int = 0
    pending: int = 0
    cancelled: int = 0

    def add(self, met: Met, n: int = 1) -> None:
        if met is Met.CANCELLED:
            self.cancelled += n
            return
        self.due += n
        if met is Met.ON_TIME:
            self.on_time += n
        elif met is Met.LATE:
            self.late += n
        elif met is Met.UNMET:
            self.unmet += n
        else:
            self.pending += n

    def merge(self, other: Cell) -> None:
        for name in ("due", "on_time", "late", "unmet", "pending", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def lapsed(self) -> int:
        return self.late + self.unmet

    @property
    def rate(self) -> float | None:
        return rate(self.on_time, self.late, self.unmet)


@dataclass
class Durations:
    """Seconds from anchor to acknowledgement and to completion, kept as plain floats."""

    ack: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)

    def quantiles(self) -> dict[str, float | None]:
        return {
            "ack_median_s": nearest_rank(self.ack, 0.5),
            "ack_p90_s": nearest_rank(self.ack, 0.9),
            "done_median_s": nearest_rank(self.done, 0.5),
            "done_p90_s": nearest_rank(self.done, 0.9),
        }


@dataclass
class SlaTally:
    """Everything the deadlines of a period add up to, filled one row at a time. A row costs one
    count (by obligation, grade, answering unit and class) and its durations; the groups
    (`by_rule`, `by_unit`, `total`) are summed from those counts when read."""

    as_of: datetime
    role_units: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # key → title, first seen
    durations: dict[str, Durations] = field(default_factory=dict)  # per key

    def __post_init__(self) -> None:
        self._as_of = epoch(self.as_of)
        self._counts: dict[tuple[str, str, str, Met], int] = {}
        self._unit_of: dict[tuple[str, str | None, str | None], str] = {}
        self._views: tuple[dict[tuple[str, str], Cell], dict[str, Cell], Cell] | None = None

    def add(self, row: ObligationRow) -> Met:
        met = classify(
            status=row.status,
            due_at=row.due_at,
            completed_at=row.completed_at,
            as_of=self._as_of,
            level=row.level,
        )
        spans = self.durations.get(row.key)
        if spans is None:
            self.titles[row.key], spans = row.title, self.durations.setdefault(row.key, Durations())
        where = (row.owner_role, row.lead_unit, row.units_text)
        unit = self._unit_of.get(where)
        if unit is None:
            unit = self._unit_of[where] = row.unit(self.role_units)
        counted = (row.key, row.grade, unit, met)
        self._counts[counted] = self._counts.get(counted, 0) + 1
        self._views = None
        if row.acked_at is not None and row.acked_at <= self._as_of:
            spans.ack.append(row.acked_at - row.anchor_at)
        if met is Met.ON_TIME or met is Met.LATE:
            assert row.completed_at is not None
            spans.done.append(row.completed_at - row.anchor_at)
        return met

    def add_all(self, rows: Iterable[ObligationRow]) -> SlaTally:
        for row in rows:
            self.add(row)
        return self

    def _summed(self) -> tuple[dict[tuple[str, str], Cell], dict[str, Cell], Cell]:
        if self._views is None:
            by_rule: dict[tuple[str, str], Cell] = {}
            by_unit: dict[str, Cell] = {}
            total = Cell()
            for (key, grade, unit, met), n in self._counts.items():
                by_rule.setdefault((key, grade), Cell()).add(met, n)
                total.add(met, n)
                if met is not Met.CANCELLED:
                    by_unit.setdefault(unit, Cell()).add(met, n)
            self._views = (by_rule, by_unit, total)
        return self._views

    @property
    def by_rule(self) -> dict[tuple[str, str], Cell]:
        """(obligation key, grade) → counts."""
        return self._summed()[0]

    @property
    def by_unit(self) -> dict[str, Cell]:
        """The unit that answers for the deadlines → counts (cancelled ones left out)."""
        return self._summed()[1]

    @property
    def total(self) -> Cell:
        return self._summed()[2]

    @property
    def overall(self) -> Durations:
        """Every obligation's durations together."""
        spans = self.durations.values()
        return Durations([s for d in spans for s in d.ack], [s for d in spans for s in d.done])

    def overdue_units(self) -> list[tuple[str, Cell]]:
        """Units with at least one lapse, most lapses first, then the lower on-time rate."""
        lapsed = [(unit, cell) for unit, cell in self.by_unit.items() if cell.lapsed]
        return sorted(lapsed, key=lambda uc: (-uc[1].lapsed, uc[1].rate or 0.0, uc[0]))


def opened_in(cases: Iterable[CaseRow], start: datetime, end: datetime) -> list[CaseRow]:
    """The cases discovered in [start, end)."""
    return [c for c in cases if start <= c.discovered_at < end]


@dataclass(frozen=True)
class CaseCounts:
    total: int
    by_grade: Counter[str]
    by_category: Counter[str]
    by_source: Counter[str]
    by_unit: Counter[str]


def count_cases(cases: Sequence[CaseRow]) -> CaseCounts:
    """Counts of cases by grade, category (None: 未分类), source (None: 人工登记) and unit (a
    case with several responsible units counts for each; none: 未指定)."""
    units: Counter[str] = Counter()
    for case in cases:
        units.update(case.units or (NO_UNIT,))
    return CaseCounts(
        total=len(cases),
        by_grade=Counter(c.grade for c in cases),
        by_category=Counter(c.category or "" for c in cases),
        by_source=Counter(c.source or "" for c in cases),
        by_unit=units,
    )
