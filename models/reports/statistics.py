"""The statistics tables of a periodic report, from the gathered rows and the figures: cases
opened by grade, category, source and unit; deadlines met per obligation and grade with the
times to acknowledge and to complete; the overdue units ranked; grade changes and decisions;
referrals; deliveries per channel. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence

from models.reports.changes import count_decisions, count_referrals, count_regrades
from models.reports.document import Cell, Table, rate_cell
from models.reports.figures import Cell as Counts
from models.reports.figures import Durations, SlaTally, count_cases
from models.reports.labels import MANUAL_SOURCE, Labels, duration_text
from models.reports.rows import ApprovalRow, CaseRow, DeliveryTally, GradeChange, ReferralRow


def counts_table(opened: Sequence[CaseRow], labels: Labels) -> Table:
    counts = count_cases(opened)
    rows: list[tuple[Cell, ...]] = [("合计", "新增案件", counts.total)]
    rows += [
        ("等级", labels.grade(g), counts.by_grade[g])
        for g in labels.grade_order(list(counts.by_grade))
    ]
    rows += [("类别", labels.category(c), n) for c, n in counts.by_category.most_common()]
    rows += [("来源", s or MANUAL_SOURCE, n) for s, n in counts.by_source.most_common()]
    rows += [("责任单位", labels.unit(u), n) for u, n in counts.by_unit.most_common()]
    return Table("counts", "分类统计", ("维度", "项目", "案件数"), rows, widths=(10, 30, 10))


SLA_HEADERS = (
    "事项",
    "等级",
    "应完成",
    "按时",
    "超时完成",
    "未完成已超时",
    "未到期",
    "按时率",
    "签收用时中位数",
    "签收用时P90",
    "完成用时中位数",
    "完成用时P90",
)


def _counts_row(c: Counts) -> tuple[Cell, ...]:
    return (c.due, c.on_time, c.late, c.unmet, c.pending, rate_cell(c.rate))


def sla_table(tally: SlaTally, labels: Labels) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for key, title in tally.titles.items():
        merged = Counts()
        for grade in labels.grade_order([g for k, g in tally.by_rule if k == key]):
            cell = tally.by_rule[(key, grade)]
            merged.merge(cell)
            rows.append((title, labels.grade(grade), *_counts_row(cell), "", "", "", ""))
        rows.append((title, "全部", *_counts_row(merged), *_times(tally.durations[key])))
    rows.append(("合计", "全部", *_counts_row(tally.total), *_times(tally.overall)))
    return Table("sla", "时限统计", SLA_HEADERS, rows, widths=(18, 6, *(9,) * 6, *(14,) * 4))


def _times(spans: Durations) -> tuple[str, ...]:
    q = spans.quantiles()
    keys = ("ack_median_s", "ack_p90_s", "done_median_s", "done_p90_s")
    return tuple(duration_text(q[k]) for k in keys)


def units_table(tally: SlaTally, labels: Labels) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (rank, labels.unit(unit), c.due, c.on_time, c.late, c.unmet, c.lapsed, rate_cell(c.rate))
        for rank, (unit, c) in enumerate(tally.overdue_units(), start=1)
    ]
    headers = ("排名", "单位", "应完成", "按时", "超时完成", "未完成已超时", "逾期合计", "按时率")
    return Table("units", "逾期单位", headers, rows, widths=(6, 24, 9, 9, 9, 12, 9, 9))


def decisions_table(
    changes: Sequence[GradeChange], requests: Sequence[ApprovalRow], labels: Labels
) -> Table:
    regrades = count_regrades(changes, labels.ranks)
    decisions = count_decisions(requests)
    rows: list[tuple[Cell, ...]] = [
        ("升级", regrades.upgrades),
        ("其中指标越档自动升级", regrades.automatic_upgrades),
        ("降级", regrades.downgrades),
        ("延期申请批准", decisions.granted("extension")),
        ("延期申请驳回", decisions.refused("extension")),
    ]
    for kind in ("downgrade", "statement"):
        name = labels.approval(kind)
        rows += [(f"{name}通过", decisions.granted(kind)), (f"{name}驳回", decisions.refused(kind))]
    rows += [(f"{labels.approval(k)}待审批", n) for k, n in sorted(decisions.pending.items())]
    return Table("decisions", "等级与审批", ("项目", "数量"), rows, widths=(24, 9))


def referrals_table(rows: Sequence[ReferralRow], labels: Labels) -> Table:
    counted = count_referrals(rows)
    cells: list[tuple[Cell, ...]] = [(labels.body(b), n) for b, n in counted.most_common()]
    return Table("referrals", "移送情况", ("移送机关", "次数"), cells, widths=(20, 9))


def deliveries_table(rows: Sequence[DeliveryTally]) -> Table:
    cells: list[tuple[Cell, ...]] = [
        (
            r.channel,
            r.attempts,
            r.delivered,
            r.failed,
            rate_cell(r.delivered / r.attempts if r.attempts else None),
        )
        for r in rows
    ]
    headers = ("渠道", "发送次数", "送达", "失败", "送达率")
    return Table("deliveries", "通知送达", headers, cells, widths=(20, 10, 10, 10, 10))
