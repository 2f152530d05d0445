"""The tables people read, built from rows: the S0-14 ledger (one row per risk point, columns in
the form's order: the measures, the results, the next task, the remarks, the figures as
numbers), the accountability ledger (evidence, hints, the judgement or 待研判, never a verdict by
the machine), the daily digest (title + link, capped message) and the quick report's mandated
fields; and that the pure core imports nothing but the standard library and the pure policy."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from models.reports.accountability import (
    MISSED_HINT,
    PENDING,
    LedgerFilter,
    Verdict,
    accountability_table,
    select,
)
from models.reports.build import ReportInput
from models.reports.digest import MESSAGE_LINES, daily_document, digest_text
from models.reports.document import Rate
from models.reports.figures import SlaTally
from models.reports.labels import Labels, duration_text
from models.reports.ledger import LEDGER_HEADERS, Progress, ledger_table
from models.reports.periods import ReportKind, period_containing
from models.reports.quick import MANDATED, ItemFacts, QuickFacts, quick_report
from models.reports.risks import RiskPoint, group_cases
from models.reports.rows import AccountabilityRow, CaseRow, Judgement, ObligationRow, epoch

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
LABELS = Labels(
    tz=TZ,
    grades={"g1": "一级", "g2": "二级", "g3": "三级"},
    ranks={"g1": 1, "g2": 2, "g3": 3},
    units={"edu": "教育局", "health": "卫健委"},
    people={"wangfang": "王芳", "chenjun": "陈军"},
    base_url="https://yq.example.cn",
)
ROOT = Path(__file__).resolve().parents[3]


def case(case_id: int, **changes: object) -> CaseRow:
    values: dict[str, object] = {
        "id": case_id,
        "title": f"某中学事件{case_id}",
        "grade": "g1",
        "category": "rumour",
        "stage": "dispatched",
        "units": ("edu", "health"),
        "lead_unit": "edu",
        "outcome": None,
        "discovered_at": T,
        "closed_at": None,
        "source": "本地论坛",
        "source_kind": "rss",
        "url": f"http://forum.test/{case_id}",
        "site": "forum.test",
    }
    values.update(changes)
    return CaseRow(**values)  # type: ignore[arg-type]


def obligation(
    key: str, title: str, *, due: datetime, done: datetime | None = None
) -> ObligationRow:
    return ObligationRow(
        case_id=1,
        key=key,
        title=title,
        grade="g1",
        owner_role="office_staff",
        status="completed" if done else "open",
        anchor_at=epoch(T),
        due_at=epoch(due),
        acked_at=None,
        completed_at=epoch(done) if done else None,
    )


def test_the_ledger_follows_the_s0_14_form() -> None:
    """S0-14 附件: one row per risk point (存在风险点), its measures as the plan writes them plus
    the period's handling counted (never internal steps with their times), its results, next
    tasks and remarks; the plan's lead and responsible units and resolution deadline; the
    figures as numbers. Cases under no risk point are grouped by topic, then the rest."""
    assert LEDGER_HEADERS[:6] == (
        "序号",
        "存在风险点",
        "具体应对措施",
        "风险防范化解成效",
        "下步重点工作",
        "备注",
    )
    step = Progress()
    as_of = T + timedelta(hours=5)
    keys = frozenset({"handling_completed"})
    for row in (
        obligation(
            "quick_report", "快报", due=T + timedelta(minutes=30), done=T + timedelta(minutes=20)
        ),
        obligation(
            "first_response", "首次回应", due=T + timedelta(hours=3), done=T + timedelta(hours=4)
        ),
        obligation("written_report", "书面快报", due=T + timedelta(hours=1)),
        obligation("handling_completed", "办结", due=T + timedelta(days=5)),
    ):
        step.add(row, as_of=epoch(as_of), resolution_keys=keys)
    food = RiskPoint(
        "food",
        "学校食品安全事件向意识形态领域传导的风险",
        measures="一是强化信息发布审查；二是加强舆情监控。",
        lead_units=("edu",),
        units=("edu", "health"),
        deadline="12月底前稳控化解到位，并长期坚持",
        topics=frozenset({"school"}),
    )
    religion = RiskPoint("religion", "宗教领域意识形态风险", categories=frozenset({"corruption"}))
    cases = [
        case(1, topic="school"),
        case(
            2,
            topic="school",
            closed_at=T + timedelta(days=2),
            outcome="subsided",
            source_kind="intake",
            source="网信办转办",
        ),
        case(3, topic="traffic", category="inquiry"),
        case(4, topic=None, category="suggestion"),
    ]
    groups = group_cases(cases, [food, religion], {"school": "学校", "traffic": "交通"})
    table = ledger_table(
        groups, {1: step}, {1: ["discipline"]}, LABELS, preamble=("填报表（2026-11）",)
    )
    first, second, third, fourth = table.records()
    assert [r["序号"] for r in table.records()] == [1, 2, 3, 4]
    assert first["存在风险点"] == "学校食品安全事件向意识形态领域传导的风险"
    assert first["具体应对措施"] == (
        "一是强化信息发布审查；二是加强舆情监控。\n本期处置相关舆情2起：已研判2起、"
        "已交办核查2起、已公开回应1起、已办结1起；移送纪检监察机关1次。"
    )
    assert first["风险防范化解成效"] == (
        "相关舆情2起，已办结1起（平息1起），在办1起；到期时限3项，按时完成1项，逾期2项。"
    )
    assert first["下步重点工作"] == "督促办结在办舆情：某中学事件1：书面快报（截止 11-03 10:00）"
    assert first["备注"] == "逾期事项2项；1起首次获知来自外部转办"
    assert (first["牵头单位"], first["责任单位"]) == ("教育局", "教育局、卫健委")
    assert first["化解时限"] == "12月底前稳控化解到位，并长期坚持"
    assert (first["涉及舆情（起）"], first["已办结（起）"]) == (2, 1)
    assert isinstance(first["时限按时率"], Rate) and abs(first["时限按时率"] - 1 / 3) < 1e-9
    assert second["存在风险点"] == "宗教领域意识形态风险"  # in the plan: listed with no cases
    assert second["风险防范化解成效"] == "本期未发生相关舆情"
    assert second["具体应对措施"] == "本期未发现相关舆情，保持常态监测"
    assert second["时限按时率"] is None and second["涉及舆情（起）"] == 0
    assert third["存在风险点"] == "涉交通网络舆情风险"
    assert fourth["存在风险点"] == "其他网络舆情风险（未列入方案风险点）"
    assert fourth["下步重点工作"] == "持续监测，防止反弹"
    assert all("09:20" not in str(r["具体应对措施"]) for r in table.records())


def record(record_id: int, **changes: object) -> AccountabilityRow:
    values: dict[str, object] = {
        "id": record_id,
        "case_id": 1,
        "case_title": "某中学事件",
        "grade": "g1",
        "obligation": "快报",
        "owner_role": "office_staff",
        "responsible": ("wangfang",),
        "first_known": T,
        "first_reported": T + timedelta(hours=1),
        "due_at": T + timedelta(minutes=30),
        "done_at": T + timedelta(hours=1),
        "recorded_at": T + timedelta(minutes=31),
        "late_seconds": 60,
    }
    values.update(changes)
    return AccountabilityRow(**values)  # type: ignore[arg-type]


def test_the_accountability_ledger_shows_evidence_and_people_s_judgements_only() -> None:
    judged = Judgement(False, "未按规定时限报告", "chenjun", T + timedelta(days=1), "notice")
    rows = [
        record(1),
        record(2, judgement=judged),
        record(3, done_at=None, first_reported=None, source_kind="intake", grade="g3"),
    ]
    table = accountability_table(rows, LABELS, as_of=T + timedelta(hours=2, minutes=30))
    first, second, third = table.records()
    assert first["研判结论"] == PENDING and first["研判理由"] == ""
    assert first["超时"] == "30分钟"  # done at 10:00, due 09:30
    assert (first["首次获知"], first["责任人"]) == (datetime(2026, 11, 3, 9, 0), "王芳")  # noqa: DTZ001
    assert second["研判结论"] == "理由不成立，需追责"
    assert (second["处理建议"], second["研判人"]) == ("通报处理", "陈军")
    assert third["超时"] == "未完成，已超 2小时"
    assert MISSED_HINT in str(third["线索"]) and "至记录时仍未报告" in str(third["线索"])
    assert [r.id for r in select(rows, LedgerFilter(verdict=Verdict.PENDING))] == [1, 3]
    assert [r.id for r in select(rows, LedgerFilter(verdict=Verdict.UNJUSTIFIED))] == [2]
    assert [r.id for r in select(rows, LedgerFilter(grade="g3"))] == [3]
    assert select(rows, LedgerFilter(person="nobody")) == []


def test_the_daily_digest_lists_new_and_open_cases_with_link_grade_and_next_deadline() -> None:
    period = period_containing(ReportKind.DAILY, datetime(2026, 11, 3).date())  # noqa: DTZ001
    as_of = T + timedelta(hours=8)  # 17:00
    cases = [
        case(n, grade="g3" if n % 2 else "g1", discovered_at=T - timedelta(days=n % 3))
        for n in range(1, MESSAGE_LINES + 6)
    ]
    progress = {c.id: Progress(next_open=(T + timedelta(hours=c.id % 10), "快报")) for c in cases}
    data = ReportInput(period, as_of, LABELS, cases, SlaTally(as_of=as_of), progress)
    document = daily_document(data)
    new = document.table("new").records()
    assert [r["案件编号"] for r in new][:3] == [6, 12, 18]  # 一级 first, then by id
    assert new[0]["原文链接"] == "http://forum.test/6"
    assert new[0]["案件链接"] == "https://yq.example.cn/cases/6"
    assert len(document.table("open").rows) == len(cases)
    subject, body = digest_text(data)
    assert subject == "【每日舆情汇总】2026-11-03"
    assert "[一级] 某中学事件6 http://forum.test/6；下一时限：快报 11-03 15:00" in body
    assert "（已超时）" in body  # some next deadlines are before 17:00
    assert f"……其余 {len(cases) - MESSAGE_LINES} 件见附件" in body


def test_the_quick_report_carries_the_mandated_fields() -> None:
    items = [
        ItemFacts(
            "某中学食堂饭菜变质",
            "http://forum.test/1",
            "forum.test",
            "本地论坛",
            "家长称孩子吃到变质饭菜",
            3200,
            140,
            12,
        ),
        ItemFacts("食堂问题追踪", "http://weibo.test/2", "weibo.test", "微博", "", 100, 5, 0),
    ]
    facts = QuickFacts(7, "某中学食堂饭菜变质", "g1", "inquiry", T, items)
    document = quick_report(
        facts,
        LABELS,
        issue=3,
        year=2026,
        office="办公室",
        at=T + timedelta(minutes=20),
        by="wangfang",
    )
    names = [name for name, _ in document.fields]
    assert names[: len(MANDATED)] == list(MANDATED)
    assert document.field("网络名") == "forum.test、weibo.test"
    assert document.field("舆情信息") == "某中学食堂饭菜变质。家长称孩子吃到变质饭菜"
    assert document.field("网友留言大概内容") == "家长称孩子吃到变质饭菜"
    assert "本地论坛：http://forum.test/1" in document.field("出处及链接")
    assert (document.field("类别"), document.field("等级")) == ("询问、质疑、诉求", "一级")
    assert document.field("传播情况") == "相关信息 2 条，点击 3300，评论 145"
    assert document.issue_line.startswith("2026年第3期")
    written = QuickFacts(7, "x", "g1", None, T, items, gist="网友质疑食品安全监管")
    assert (
        quick_report(written, LABELS, issue=1, year=2026, office="", at=T, by="x").field(
            "网友留言大概内容"
        )
        == "网友质疑食品安全监管"
    )


def test_durations_in_words() -> None:
    assert [duration_text(s) for s in (None, 45, 3900, 93600 + 300)] == [
        "",
        "45秒",
        "1小时5分钟",
        "1天2小时",
    ]


def test_the_pure_core_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"models"}
    for path in sorted((ROOT / "models" / "reports").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("models."):
                    assert name.startswith(("models.reports", "models.policy")), (path.name, name)
