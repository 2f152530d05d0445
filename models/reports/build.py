"""A periodic report (weekly, monthly, half-yearly, annual) assembled from what the repository
gathered (`ReportInput`): the S0-14 ledger (monthly and longer), the case list, counts by grade,
category, source and unit, deadlines met per obligation and grade with the times to acknowledge
and to complete, the overdue units ranked, decisions, referrals, the accountability ledger,
deliveries per channel, cases opened over time, and a sheet that says what every figure means.
The statistics tables are `models.reports.statistics`'s. Standard library only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.reports.accountability import (
    accountability_summary,
    accountability_table,
)
from models.reports.changes import count_decisions, count_regrades
from models.reports.document import Cell, Document, Table
from models.reports.figures import SlaTally, opened_in
from models.reports.labels import Labels
from models.reports.ledger import Progress, case_table, ledger_table, referrals_by_case
from models.reports.periods import KIND_LABELS, Period, ReportKind
from models.reports.risks import RiskPoint, group_cases
from models.reports.rows import (
    AccountabilityRow,
    ApprovalRow,
    CaseRow,
    DeliveryTally,
    GradeChange,
    ReferralRow,
)
from models.reports.statistics import (
    counts_table,
    decisions_table,
    deliveries_table,
    referrals_table,
    sla_table,
    units_table,
)
from models.reports.timeline import opened_over_time

PER_CASE_KINDS = (ReportKind.DAILY, ReportKind.WEEKLY, ReportKind.MONTHLY, ReportKind.QUARTERLY)
LEDGER_KINDS = {ReportKind.MONTHLY: "月度台账", ReportKind.QUARTERLY: "季度台账"}
DAILY_TABLES = ("new", "open")  # models.reports.digest
STATISTICS = (
    "about",
    "counts",
    "timeline",
    "sla",
    "units",
    "decisions",
    "referrals",
    "accountability",
    "deliveries",
)
PERIODIC_TABLES = (
    "about",
    "ledger",
    "cases",
    "counts",
    "timeline",
    "sla",
    "units",
    "decisions",
    "referrals",
    "accountability",
    "deliveries",
)
DEFINITIONS = (
    "应完成：截止时间在本期内的时限（超时前即已取消的不计）。",
    "按时：在截止时间前完成；超时完成：截止后完成；未完成已超时：截至统计时间仍未完成且已过截止"
    "时间（含超时后才取消的）；未到期：尚未完成也未到截止时间。",
    "按时率 = 按时 ÷（按时 + 超时完成 + 未完成已超时）。",
    "签收用时、完成用时：自时限起算时间计；中位数与P90取第⌈q·n⌉小的值。",
    "逾期单位：责任单位的事项计入案件牵头单位，其余事项计入承担该角色人员所在单位。",
    "问责台账只列证据，是否追责由人研判，系统不作结论。",
)


@dataclass(frozen=True)
class Office:
    """The S0-14 form's header fields."""

    name: str = ""
    head: str = ""
    filler: str = ""
    phone: str = ""


@dataclass
class ReportInput:
    period: Period
    as_of: datetime
    labels: Labels
    cases: Sequence[CaseRow]  # every case active during the period, by id
    sla: SlaTally  # the deadlines due in the period
    progress: Mapping[int, Progress]  # per case in `cases`
    regrades: Sequence[GradeChange] = ()
    approvals: Sequence[ApprovalRow] = ()
    referrals: Sequence[ReferralRow] = ()
    accountability: Sequence[AccountabilityRow] = ()  # each lapse's evidence (per-case reports)
    verdicts: Sequence[tuple[str, bool | None]] = ()  # every lapse: obligation, judged as
    deliveries: Sequence[DeliveryTally] = ()
    office: Office = field(default_factory=Office)
    scope: str = "全部"  # the filters, in words
    risks: Sequence[RiskPoint] = ()  # the plan's risk points (S0-14), in its order


def table_keys(kind: ReportKind) -> tuple[str, ...]:
    """The tables a report of `kind` has (what `--table` may name): the monthly and quarterly
    ledgers have one row per risk point in S0-14's form and the case list beside it, the weekly
    report a case list, the half-yearly and annual reports the statistics only (the cases are in
    the months' ledgers)."""
    if kind is ReportKind.DAILY:
        return DAILY_TABLES
    if kind in LEDGER_KINDS:
        return PERIODIC_TABLES
    if kind is ReportKind.WEEKLY:
        return tuple(key for key in PERIODIC_TABLES if key != "ledger")
    return STATISTICS


def per_case(kind: ReportKind) -> bool:
    """Whether the report has a table with one row per case (and so needs each case's steps)."""
    return kind in PER_CASE_KINDS


def periodic_document(data: ReportInput) -> Document:
    labels, period = data.labels, data.period
    start, end = period.bounds(labels.tz)
    opened = opened_in(data.cases, start, end)
    keys = table_keys(period.kind)
    tables = [_about(data)]
    if "ledger" in keys:
        groups = group_cases(data.cases, data.risks, labels.topics)
        bodies, name = referrals_by_case(data.referrals), LEDGER_KINDS[period.kind]
        preamble = _form_header(data)
        tables.append(
            ledger_table(groups, data.progress, bodies, labels, preamble=preamble, name=name)
        )
    if "cases" in keys:
        tables.append(case_table(data.cases, data.progress, labels))
    tables += [
        counts_table(opened, labels),
        opened_over_time(opened, period, labels),
        sla_table(data.sla, labels),
        units_table(data.sla, labels),
        decisions_table(data.regrades, data.approvals, labels),
        referrals_table(data.referrals, labels),
    ]
    if per_case(period.kind):
        tables.append(accountability_table(data.accountability, labels, as_of=data.as_of))
    else:
        tables.append(accountability_summary(data.verdicts))
    tables.append(deliveries_table(data.deliveries))
    title = f"{data.office.name}{KIND_LABELS[period.kind]}（{period.label}）"
    primary = "ledger" if "ledger" in keys else {ReportKind.WEEKLY: "cases"}.get(period.kind, "sla")
    return Document(title, period.describe(), tuple(tables), primary, summary(data, opened))


def _form_header(data: ReportInput) -> tuple[str, ...]:
    office = data.office
    return (
        f"意识形态领域风险防范化解工作信息填报表（{data.period.label}）",
        f"填报单位（盖章）：{office.name}    负责人：{office.head}    "
        f"填表人：{office.filler}    联系电话：{office.phone}",
    )


def summary(data: ReportInput, opened: Sequence[CaseRow]) -> dict[str, Any]:
    total = data.sla.total
    regrades = count_regrades(data.regrades, data.labels.ranks)
    decisions = count_decisions(data.approvals)
    verdicts = Counter(justified for _, justified in data.verdicts)
    return {
        "kind": data.period.kind.value,
        "period": data.period.label,
        "cases_opened": len(opened),
        "cases_active": len(data.cases),
        "cases_open": sum(1 for c in data.cases if c.closed_at is None),
        "deadlines_due": total.due,
        "on_time": total.on_time,
        "late": total.late,
        "unmet": total.unmet,
        "pending": total.pending,
        "on_time_rate": None if total.rate is None else round(total.rate, 4),
        "upgrades": regrades.upgrades,
        "downgrades": regrades.downgrades,
        "extensions_granted": decisions.granted("extension"),
        "extensions_refused": decisions.refused("extension"),
        "referrals": len(data.referrals),
        "accountability_records": len(data.verdicts),
        "unjudged": verdicts[None],
    }


def _about(data: ReportInput) -> Table:
    labels, period = data.labels, data.period
    rows: list[tuple[Cell, ...]] = [
        ("报告", KIND_LABELS[period.kind]),
        ("期间", f"{period.label}：{period.describe()}"),
        ("统计时间", labels.local(data.as_of)),
        ("时区", str(labels.tz)),
        ("范围", data.scope),
        ("填报单位", data.office.name),
    ]
    rows += [("口径", line) for line in DEFINITIONS]
    if not per_case(period.kind):
        rows.append(
            ("说明", "本报告只列统计；逐案情况见各月《月度台账》，逐条问责证据见问责台账。")
        )
    return Table("about", "说明", ("项目", "内容"), rows, widths=(12, 90))
