"""The per-case tables: the monthly risk-point ledger in the columns of S0-14's form (序号,
存在风险点, 具体应对措施, 风险防范化解成效, 下步重点工作, 备注, then the lead and responsible
units and the resolution deadline its plan body gives each risk point, seeds-spec §7.4 and F21,
then the case's own facts, so one sheet has one row per case), and the case list of the weekly
report. What each case has done and has still to do is gathered
from its deadlines one row at a time (`Progress.add`). Standard library only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from models.reports.document import Cell, Table
from models.reports.figures import Met, classify
from models.reports.labels import MANUAL_SOURCE, Labels
from models.reports.rows import CaseRow, ObligationRow, ReferralRow, from_epoch

LEDGER_HEADERS = (
    "序号",
    "存在风险点",
    "具体应对措施",
    "风险防范化解成效",
    "下步重点工作",
    "备注",
    "案件编号",
    "等级",
    "牵头单位",
    "责任单位",
    "化解时限",
    "发现时间",
    "来源",
    "原文链接",
)
CASE_HEADERS = (
    "案件编号",
    "标题",
    "等级",
    "类别",
    "来源",
    "网站",
    "原文链接",
    "发现时间",
    "阶段",
    "牵头单位",
    "责任单位",
    "办结时间",
    "处置结果",
    "逾期事项",
    "案件链接",
)
EXTERNAL_KINDS = frozenset({"intake"})  # first known from outside: a hint of a missed report


@dataclass
class Progress:
    """What one case has done (deadlines completed, in order) and has still to do."""

    done: list[tuple[datetime, str]] = field(default_factory=list)
    next_open: tuple[datetime, str] | None = None
    resolution_due: datetime | None = None
    lapsed: list[str] = field(default_factory=list)

    def add(self, row: ObligationRow, *, as_of: float, resolution_keys: frozenset[str]) -> None:
        """Take in one of the case's deadlines (`as_of`: seconds since the epoch)."""
        met = classify(
            status=row.status,
            due_at=row.due_at,
            completed_at=row.completed_at,
            as_of=as_of,
            level=row.level,
        )
        if met is Met.CANCELLED:
            return
        if row.key in resolution_keys:
            self.resolution_due = from_epoch(row.due_at)
        if met in (Met.ON_TIME, Met.LATE):
            assert row.completed_at is not None
            self.done.append((from_epoch(row.completed_at), row.title))
        elif row.status == "open" and (
            self.next_open is None or row.due_at < self.next_open[0].timestamp()
        ):
            self.next_open = (from_epoch(row.due_at), row.title)
        if met in (Met.LATE, Met.UNMET):
            self.lapsed.append(row.title)


def referrals_by_case(rows: Iterable[ReferralRow]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.case_id, []).append(row.body)
    return found


def ledger_table(
    cases: Sequence[CaseRow],
    progress: Mapping[int, Progress],
    referrals: Mapping[int, list[str]],
    labels: Labels,
    *,
    preamble: tuple[str, ...] = (),
) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for number, case in enumerate(cases, start=1):
        step = progress.get(case.id, Progress())
        rows.append(
            (
                number,
                f"{case.title}（{labels.grade(case.grade)}，{labels.category(case.category)}）",
                _measures(step, referrals.get(case.id, []), labels),
                _result(case, labels),
                _next(case, step, labels),
                _remarks(case, step),
                case.id,
                labels.grade(case.grade),
                labels.unit(case.lead) if case.lead else "",
                "、".join(labels.unit(u) for u in case.units),
                labels.local(step.resolution_due),
                labels.local(case.discovered_at),
                case.source or MANUAL_SOURCE,
                case.url or "",
            )
        )
    widths = (6, 40, 50, 24, 30, 24, 9, 6, 16, 24, 17, 17, 14, 40)
    return Table("ledger", "月度台账", LEDGER_HEADERS, rows, preamble=preamble, widths=widths)


def _measures(step: Progress, bodies: list[str], labels: Labels) -> str:
    done = [f"{title}（{labels.text(at)[5:]}）" for at, title in sorted(step.done)]
    done += [f"移送{labels.body(body)}" for body in bodies]
    return "；".join(done) or "已登记，待处置"


def _result(case: CaseRow, labels: Labels) -> str:
    if case.closed_at is not None:
        outcome = labels.outcome(case.outcome)
        return f"已办结{('：' + outcome) if outcome else ''}（{labels.text(case.closed_at)[:10]}）"
    return f"处置中（{labels.stage(case.stage)}）"


def _next(case: CaseRow, step: Progress, labels: Labels) -> str:
    if step.next_open is not None:
        due, title = step.next_open
        return f"{title}（截止 {labels.text(due)}）"
    return "善后跟踪，防止反弹" if case.closed_at is not None else "持续监测，跟踪研判"


def _remarks(case: CaseRow, step: Progress) -> str:
    notes = [f"逾期{len(step.lapsed)}项：{'、'.join(step.lapsed)}"] if step.lapsed else []
    if case.source_kind in EXTERNAL_KINDS:
        notes.append(f"首次获知来自外部转办（{case.source}）")
    return "；".join(notes)


def case_table(cases: Sequence[CaseRow], progress: Mapping[int, Progress], labels: Labels) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            case.id,
            case.title,
            labels.grade(case.grade),
            labels.category(case.category),
            case.source or MANUAL_SOURCE,
            case.site or "",
            case.url or "",
            labels.local(case.discovered_at),
            labels.stage(case.stage),
            labels.unit(case.lead) if case.lead else "",
            "、".join(labels.unit(u) for u in case.units),
            labels.local(case.closed_at),
            labels.outcome(case.outcome),
            len(progress[case.id].lapsed) if case.id in progress else 0,
            labels.case_link(case.id),
        )
        for case in cases
    ]
    widths = (9, 40, 6, 14, 14, 16, 40, 17, 9, 16, 24, 17, 10, 9, 36)
    return Table("cases", "案件清单", CASE_HEADERS, rows, widths=widths)
