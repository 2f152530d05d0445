"""The fixture month (`tests.support.report_month`: November 2026, seven cases played through the
public functions on a moved clock, real sweeps lapsing real deadlines) on SQLite and on
PostgreSQL: every figure of the monthly report equals what the month was built to contain, and
the files it gives open in the programs people use with one row per case and local times."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from models.repo.cases import CaseError
from models.reports.build import summary
from models.reports.figures import Cell
from models.reports.periods import ReportKind, period_containing
from models.reports.rows import NO_UNIT
from models.reports.status import Consequence
from tasks.reports.accountability import judge_record, ledger_document
from tasks.reports.build import Filters, build_report, report_input
from tasks.reports.render import render
from tests.support.report_month import Month, local, play_month, write_month_config
from yuqing.localservers import WebhookReceiver

NOVEMBER = period_containing(ReportKind.MONTHLY, date(2026, 11, 1))
# Seconds from anchor to completion of the 22 deadlines due in November and met, case by case.
DONE = [
    1200,
    3000,
    1200,
    9600,
    16200,
    17400,
    82800,
    279600,
    579600,  # c1
    5400,
    16800,
    1800,
    41400,
    72000,  # c2
    3000,
    10800,
    14400,
    39600,  # c3
    220800,
    169200,  # c5
    285600,
    324000,  # c6
]


RISK_POINTS = """
[[risk_points]]
id = "food"
title = "学校食品安全事件向意识形态领域传导的风险"
measures = "一是强化信息发布审查；二是加强舆情监控。"
lead_units = ["edu"]
units = ["edu", "health"]
deadline = "12月底前稳控化解到位，并长期坚持"
topics = ["school"]

[[risk_points]]
id = "graft"
title = "涉腐舆情风险"
categories = ["corruption"]
"""


@pytest.fixture
def month(tmp_path: Path, database_url: str, receiver: WebhookReceiver) -> Iterator[Month]:
    config = write_month_config(
        tmp_path, database_url=database_url, receiver=receiver, extra=RISK_POINTS
    )
    played = play_month(config)
    yield played
    played.runtime.engine.dispose()


def test_the_months_figures_equal_what_was_built(month: Month) -> None:
    data = report_input(month.runtime, period=NOVEMBER, now=month.as_of)
    ids = month.ids
    sla = data.sla
    # 27 deadlines fell due: c1 9, c2 7, c3 4, c4 3, c5 2, c6 2 (c6 was closed in October).
    assert sla.total == Cell(due=27, on_time=17, late=5, unmet=5)
    assert sla.total.rate == pytest.approx(17 / 27)
    assert sla.by_rule[("first_response", "g1")] == Cell(due=1, late=1)  # c1, after the sweep
    assert sla.by_rule[("quick_report", "g2")] == Cell(due=1, late=1)  # c2 reported at 15:30
    assert sla.by_rule[("quick_report", "g3")] == Cell(due=2, on_time=1, unmet=1)  # c3, c4
    assert sla.by_rule[("authoritative_info", "g2")] == Cell(due=1, unmet=1)  # c2, never done
    assert sla.by_rule[("handling_completed", "g2")] == Cell(due=2, on_time=1, unmet=1)  # c6, c2
    assert sla.by_rule[("review", "g1")] == Cell(due=2, on_time=1, late=1)  # c5, c1
    assert sla.by_rule[("written_report", "g3")] == Cell(due=1, on_time=1)  # c3, opened on upgrade
    assert sum(c.due for c in sla.by_rule.values()) == 27
    # Units: a unit's own deadlines count for the case's lead unit, the rest for the office.
    assert sla.by_unit == {
        "edu": Cell(due=3, on_time=3),
        "health": Cell(due=3, on_time=2, unmet=1),
        "office": Cell(due=21, on_time=12, late=5, unmet=4),
    }
    assert [(unit, c.lapsed) for unit, c in sla.overdue_units()] == [("office", 9), ("health", 1)]
    # Times: nearest rank of 22 completions and of two acknowledgements (c1 at 3 h 40 min,
    # c4 at 30 min).
    quantiles = sla.overall.quantiles()
    assert sorted(sla.overall.done) == sorted(float(s) for s in DONE)
    assert (quantiles["done_median_s"], quantiles["done_p90_s"]) == (16800, 285600)
    assert (quantiles["ack_median_s"], quantiles["ack_p90_s"]) == (1800, 13200)
    # Cases: active in November are c5 (closed 2 Nov), c1, c2, c3, c4; opened are c1 to c4.
    assert [c.id for c in data.cases] == [ids[n] for n in ("c5", "c1", "c2", "c3", "c4")]
    start, end = NOVEMBER.bounds(data.labels.tz)
    opened = [c for c in data.cases if start <= c.discovered_at < end]
    assert [c.id for c in opened] == [ids[n] for n in ("c1", "c2", "c3", "c4")]
    assert sorted((c.grade, c.category, c.source) for c in opened) == [
        ("g1", "rumour", "本地论坛"),
        ("g2", "inquiry", "网信办转办"),
        ("g3", "hype", "人工登记"),
        ("g3", "suggestion", "人工登记"),
    ]
    figures = summary(data, opened)
    assert figures | {"on_time_rate": None} == {
        "kind": "monthly",
        "period": "2026-11",
        "cases_opened": 4,
        "cases_active": 5,
        "cases_open": 3,
        "deadlines_due": 27,
        "on_time": 17,
        "late": 5,
        "unmet": 5,
        "pending": 0,
        "on_time_rate": None,
        "upgrades": 1,
        "downgrades": 1,
        "extensions_granted": 1,
        "extensions_refused": 1,
        "referrals": 2,
        "accountability_records": 8,
        "unjudged": 8,
    }
    assert figures["on_time_rate"] == round(17 / 27, 4)
    # Decisions, referrals and the evidence of the eight lapses the sweeps recorded.
    assert [(r.case_id, r.from_grade, r.to_grade, r.actor) for r in data.regrades] == [
        (ids["c3"], "g3", "g2", "system"),
        (ids["c3"], "g2", "g3", "wangfang"),
    ]
    assert sorted((a.kind, a.status) for a in data.approvals) == [
        ("downgrade", "approved"),
        ("extension", "approved"),
        ("extension", "rejected"),
        ("statement", "pending"),
    ]
    assert sorted(r.body for r in data.referrals) == ["cyberspace_office", "discipline"]
    lapses = sorted((r.case_id, r.obligation) for r in data.accountability)
    assert lapses == sorted(
        [
            (ids["c1"], "首次回应"),
            (ids["c1"], "总结评估"),
            (ids["c2"], "书面报告《网上舆情》"),
            (ids["c2"], "发布权威信息"),
            (ids["c2"], "办结"),
            (ids["c4"], "快报"),
            (ids["c4"], "首次回应"),
            (ids["c4"], "发布权威信息"),
        ]
    )
    first = next(
        r for r in data.accountability if r.obligation == "首次回应" and r.case_id == ids["c1"]
    )
    assert (first.first_known, first.first_reported) == (local(11, 3, 9), local(11, 3, 9, 20))
    assert (first.due_at, first.done_at) == (local(11, 3, 12), local(11, 3, 13, 30))
    assert first.responsible == ("wangfang",)
    missed = [r for r in data.accountability if r.case_id == ids["c4"]]
    assert all(r.first_reported is None and r.source_kind == "manual" for r in missed)
    # A unit filter keeps only that unit's cases and the deadlines of those cases.
    health = report_input(
        month.runtime, period=NOVEMBER, now=month.as_of, filters=Filters(unit="health")
    )
    assert [c.id for c in health.cases] == [ids["c5"], ids["c2"]]
    assert health.sla.total == Cell(due=9, on_time=4, late=3, unmet=2)
    assert NO_UNIT not in health.sla.by_unit


def test_the_monthly_ledger_is_s0_14s_form_with_a_row_per_risk_point(
    month: Month, tmp_path: Path
) -> None:
    """S0-14 附件 as filed: one row per risk point of the plan (`[[risk_points]]`; cases under
    none grouped, here 其他), the plan's measures and the month's handling counted, the plan's
    units and 化解时限, the figures as numbers; the cases themselves on their own sheet, local
    times as date cells."""
    runtime, ids = month.runtime, month.ids
    built = build_report(
        runtime,
        kind=ReportKind.MONTHLY,
        period=NOVEMBER,
        format="xlsx",
        now=month.as_of,
        requested_by="wangfang",
    )
    book = load_workbook(io.BytesIO(built.content))
    assert book.sheetnames == [
        "说明",
        "月度台账",
        "案件清单",
        "分类统计",
        "新增趋势",
        "时限统计",
        "逾期单位",
        "等级与审批",
        "移送情况",
        "问责台账",
        "通知送达",
    ]
    ledger = book["月度台账"]
    assert ledger["A1"].value == "意识形态领域风险防范化解工作信息填报表（2026-11）"
    assert {str(r) for r in ledger.merged_cells.ranges} >= {"A1:L1", "A2:L2"}
    assert (
        "填报单位（盖章）：区委网信办" in ledger["A2"].value
        and "联系电话：0571-1234" in ledger["A2"].value
    )
    assert "负责人：陈军" in ledger["A2"].value and "填表人：王芳" in ledger["A2"].value
    assert [c.value for c in ledger[3]][:6] == [
        "序号",
        "存在风险点",
        "具体应对措施",
        "风险防范化解成效",
        "下步重点工作",
        "备注",
    ]
    assert ledger.freeze_panes == "A4"
    headers = [c.value for c in ledger[3]]
    rows: list[dict[Any, Any]] = [
        dict(zip(headers, r, strict=True)) for r in ledger.iter_rows(min_row=4, values_only=True)
    ]
    assert [r["存在风险点"] for r in rows] == [
        "学校食品安全事件向意识形态领域传导的风险",
        "涉腐舆情风险",
        "其他网络舆情风险（未列入方案风险点）",
    ]
    food, graft, other = rows
    assert food["具体应对措施"].startswith("一是强化信息发布审查；二是加强舆情监控。\n")
    assert "本期处置相关舆情1起" in food["具体应对措施"] and "移送网信办1次" in food["具体应对措施"]
    assert food["风险防范化解成效"].startswith("相关舆情1起，已办结1起（平息1起），在办0起")
    assert (food["牵头单位"], food["责任单位"]) == ("教育局", "教育局、卫健委")
    assert food["化解时限"] == "12月底前稳控化解到位，并长期坚持"
    assert (food["涉及舆情（起）"], food["已办结（起）"]) == (1, 1)
    assert (graft["涉及舆情（起）"], other["涉及舆情（起）"]) == (1, 3)
    assert "首次获知来自外部转办" in other["备注"] and "逾期事项" in other["备注"]
    assert all(" 09:" not in r["具体应对措施"] for r in rows)  # counted, not steps with times
    rate_cell = ledger.cell(row=4, column=12)
    assert isinstance(rate_cell.value, float) and rate_cell.number_format == "0.0%"
    cases = book["案件清单"]
    case_headers = [c.value for c in cases[1]]
    listed = [
        dict(zip(case_headers, r, strict=True))
        for r in cases.iter_rows(min_row=2, values_only=True)
    ]
    assert [r["案件编号"] for r in listed] == [ids[n] for n in ("c5", "c1", "c2", "c3", "c4")]
    c1 = next(r for r in listed if r["案件编号"] == ids["c1"])
    assert c1["发现时间"] == datetime(2026, 11, 3, 9, 0)  # noqa: DTZ001 - Shanghai, not UTC
    assert (c1["原文链接"], c1["来源"]) == ("http://forum.test/c1", "本地论坛")
    units = [r for r in book["逾期单位"].iter_rows(min_row=2, values_only=True)]
    assert [(r[1], r[6]) for r in units] == [("办公室", 9), ("卫健委", 1)]
    # CSV: the form as Excel reads it (UTF-8 with a BOM), one row per risk point; the cases too.
    csv_built = build_report(
        runtime, kind=ReportKind.MONTHLY, period=NOVEMBER, format="csv", now=month.as_of
    )
    assert csv_built.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(csv_built.content.decode("utf-8-sig"), newline="")))
    assert [r["存在风险点"] for r in table] == [r["存在风险点"] for r in rows]
    assert table[0]["时限按时率"].endswith("%")
    listed_csv = build_report(
        runtime,
        kind=ReportKind.MONTHLY,
        period=NOVEMBER,
        format="csv",
        now=month.as_of,
        table="cases",
    )
    reader = csv.DictReader(io.StringIO(listed_csv.content.decode("utf-8-sig"), newline=""))
    assert [int(r["案件编号"]) for r in reader] == [r["案件编号"] for r in listed]
    # Judgements: a person judges; the ledger and its export show it beside the evidence.
    records = {
        (r.case_id, r.obligation): r.id
        for r in report_input(runtime, period=NOVEMBER, now=month.as_of).accountability
    }
    late_reply = records[(ids["c1"], "首次回应")]
    with pytest.raises(CaseError, match="理由"):
        judge_record(
            runtime, record_id=late_reply, justified=False, reason=" ", by="chenjun", at=month.as_of
        )
    judge_record(
        runtime,
        record_id=late_reply,
        justified=False,
        reason="未按时回应网友关切",
        by="chenjun",
        at=month.as_of,
        consequence=Consequence.NOTICE,
    )
    judge_record(
        runtime,
        record_id=records[(ids["c2"], "书面报告《网上舆情》")],
        justified=True,
        reason="上级转办材料当日下午才送达",
        by="liqiang",
        at=month.as_of,
    )
    document = ledger_document(runtime, now=month.as_of, period=NOVEMBER)
    assert document.summary == {"records": 8, "unjudged": 6}
    exported = load_workbook(io.BytesIO(render(document, "xlsx")))["问责台账"]
    header = [c.value for c in exported[1]]
    judged = {
        r[0]: dict(zip(header, r, strict=True))
        for r in exported.iter_rows(min_row=2, values_only=True)
    }
    assert judged[late_reply]["研判结论"] == "理由不成立，需追责"
    assert (judged[late_reply]["处理建议"], judged[late_reply]["研判人"]) == ("通报处理", "陈军")
    assert judged[late_reply]["超时"] == "1小时30分钟"
    assert sum(1 for r in judged.values() if r["研判结论"] == "待研判") == 6


def test_the_quarterly_report_files_the_quarters_form(month: Month) -> None:
    """S0-12: at each quarter's end, the problems and their handling — the S0-14 form for the
    quarter, with its case list and figures."""
    quarter = period_containing(ReportKind.QUARTERLY, date(2026, 11, 15))
    built = build_report(
        month.runtime, kind=ReportKind.QUARTERLY, period=quarter, format="xlsx", now=month.as_of
    )
    book = load_workbook(io.BytesIO(built.content))
    assert book.sheetnames[:3] == ["说明", "季度台账", "案件清单"]
    assert book["季度台账"]["A1"].value == "意识形态领域风险防范化解工作信息填报表（2026-Q4）"
    # the schedule built it, and [reports] filled_by names nobody: never a guessed person
    assert "填表人：系统自动生成" in book["季度台账"]["A2"].value
    assert built.summary["kind"] == "quarterly" and built.summary["period"] == "2026-Q4"
