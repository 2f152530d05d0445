"""One scenario per preset: a case is played on a moved clock (events at chosen moments), and
each due time and escalation level is checked against the plan's own text, cited per test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.policy import (
    Anchor,
    CaseMetrics,
    DueTime,
    Policy,
    PolicyError,
    Stage,
    StageEvent,
    WorkCalendar,
    apply_event,
    chain_level_at,
    due_at,
    evaluate_grade,
    extend_due,
    initial_obligations,
    reminder_at,
)
from models.policy.extensions import extension_cap
from models.store.presets import list_presets, load_preset
from tests.support.seed_rules import SEEDS, Rule
from tests.unit.policy.policy_support import local

E = StageEvent
CAL = WorkCalendar.default()


@dataclass
class Played:
    """What a played case left behind: due times (local), satisfied keys, final stage."""

    policy: Policy
    grade: str
    due: dict[str, datetime] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    stage: Stage = Stage.detected

    def level_at(self, key: str, moment: str) -> int | None:
        """The escalation chain level in force for an open obligation at ``moment``."""
        rung = chain_level_at(
            self.due[key], local(moment), self.policy.escalation_for(self.grade), self.policy.chain
        )
        return None if rung is None else rung.level


def play(
    policy: Policy,
    grade: str,
    discovered: str,
    events: list[tuple[StageEvent, str]],
    *,
    occurred: str | None = None,
    posted: str | None = None,
) -> Played:
    tz = ZoneInfo(policy.timezone)
    anchors = {
        Anchor.discovery: local(discovered),
        Anchor.occurrence: local(occurred or discovered),
        Anchor.post_time: local(posted or discovered),
    }
    played = Played(policy, policy.scheme.level(grade).id)

    def open_(key: str, at: datetime) -> None:
        rule = policy.rule(grade, key)
        due = due_at(rule, at, calendar=CAL, tz=tz, closing_time=policy.closing_time)
        played.due[key] = due.at.astimezone(tz)

    for key in initial_obligations(policy, grade):
        open_(key, anchors[policy.rule(grade, key).anchor])
    for event, moment in events:
        step = apply_event(played.stage, event, at=local(moment), policy=policy, grade=grade)
        for key in step.obligations_to_open:
            open_(key, local(moment))
        played.done |= set(step.obligations_to_close)
        played.stage = step.to_stage
    return played


def test_every_bundled_preset_is_listed_with_its_seed() -> None:
    ids = [p.id for p in list_presets()]
    assert ids[0] == "default"
    assert set(ids) == {
        "default",
        "s0-7",
        "s1-1",
        "s1-2",
        "s1-4",
        "s1-5",
        "s1-6",
        "s1-8",
        "s1-12",
        "s1-13",
        "s1-18",
        "s2-4.3",
        "s4",
    }
    assert all(p.seed and p.title for p in list_presets())


@pytest.mark.parametrize("preset", [p.id for p in list_presets() if p.id != "s1-6"])
def test_every_number_cites_a_source(preset: str) -> None:
    policy = load_preset(preset)
    for grade in policy.scheme.ids:
        assert all(rule.source for rule in policy.obligations_for(grade))
        assert policy.escalation_for(grade).repeat_interval > timedelta(0)


def test_default_first_grade_case() -> None:
    """DESIGN §4–§5: 快报 30 min (S1-4§13); levels every 15 min after the due time."""
    p = play(
        load_preset("default"),
        "一级",
        "2026-09-30 16:00",
        [
            (E.report, "2026-09-30 16:20"),
            (E.assess, "2026-09-30 16:40"),
            (E.dispatch, "2026-09-30 17:00"),
        ],
    )
    assert p.due["quick_report"] == local("2026-09-30 16:30")
    assert p.due["first_response"] == local("2026-09-30 19:00")
    assert p.due["contact_sheet"] == local("2026-09-30 17:10")
    assert p.due["verification"] == local("2026-09-30 20:00")
    assert p.due["handling_completed"] == local("2026-10-14 00:00")  # National Day skipped
    assert {"quick_report", "contact_sheet"} <= p.done
    levels = [
        p.level_at("first_response", t)
        for t in (
            "2026-09-30 18:59",
            "2026-09-30 19:00",
            "2026-09-30 19:15",
            "2026-09-30 19:30",
            "2026-09-30 23:00",
        )
    ]
    assert levels == [None, 1, 2, 3, 3]
    esc = p.policy.escalation_for("g1")
    assert reminder_at(local("2026-09-30 16:00"), p.due["first_response"], esc) == local(
        "2026-09-30 18:15"
    )


def test_s0_7_positive_reply_within_12_hours_of_occurrence() -> None:
    """S0-7 第六步：舆情发生后12小时内根据通稿进行正面回复。"""
    p = play(
        load_preset("s0-7"),
        "重大或较大",
        "2026-10-01 11:00",
        [
            (E.report, "2026-10-01 11:30"),
            (E.assess, "2026-10-01 12:00"),
            (E.approve_statement, "2026-10-01 14:00"),
        ],
        occurred="2026-10-01 09:00",
    )
    assert p.due["positive_reply"] == local("2026-10-01 21:00")  # holidays count on the wall
    assert [
        p.level_at("positive_reply", t)
        for t in ("2026-10-01 21:00", "2026-10-01 21:30", "2026-10-01 22:00")
    ] == [1, 2, 3]
    assert "positive_reply" not in p.done
    step = apply_event(
        p.stage, E.respond, at=local("2026-10-01 20:00"), policy=p.policy, grade="g2"
    )
    assert step.obligations_to_close == ("positive_reply",)


def test_s1_1_thread_reply_within_3_hours_of_discovery() -> None:
    """S1-1 四(二)：于发现后三小时内以单位或网络新闻发言人的名义跟帖。"""
    p = play(load_preset("s1-1"), "一级", "2026-02-17 22:30", [])
    assert p.due["thread_reply"] == local("2026-02-18 01:30")  # Spring Festival night
    assert p.level_at("thread_reply", "2026-02-18 01:45") == 2


def test_s1_2_verification_within_half_a_day() -> None:
    """S1-2 四(二)：一般在收到舆情联系单半天内要有个情况核实结果返回。"""
    p = play(
        load_preset("s1-2"),
        "二级",
        "2026-03-06 10:00",
        [(E.report, "2026-03-06 10:20"), (E.dispatch, "2026-03-06 11:00")],
    )
    assert p.due["verification"] == local("2026-03-06 23:00")
    assert p.level_at("verification", "2026-03-07 00:00") == 3  # 30 min steps (二级)


def test_s1_4_first_grade_quick_reports() -> None:
    """S1-4§13：舆情发生半小时内手机快报；纸质快报在一小时内送达。三级直办制无时限。"""
    policy = load_preset("s1-4")
    p = play(policy, "一级", "2026-05-06 09:10", [], occurred="2026-05-06 09:00")
    assert p.due["mobile_quick_report"] == local("2026-05-06 09:30")
    assert p.due["paper_quick_report"] == local("2026-05-06 10:00")
    assert policy.obligations_for("三级") == ()
    step = apply_event(
        Stage.detected, E.report, at=local("2026-05-06 09:20"), policy=policy, grade="g1"
    )
    assert step.obligations_to_close == ("mobile_quick_report",)


def test_s1_5_verification_within_one_working_day_and_17_00_digest() -> None:
    """S1-5 四(二)：收到舆情联系单一天内返回核实结果；每天下午17时汇总报送。"""
    policy = load_preset("s1-5")
    assert policy.digest_at == time(17, 0)
    p = play(
        policy,
        "三级",
        "2026-09-18 14:00",
        [(E.report, "2026-09-18 14:30"), (E.dispatch, "2026-09-18 15:00")],
    )
    assert p.due["verification"] == local("2026-09-21 00:00")  # Sun 09-20 is a make-up workday


def test_s1_6_blank_hours_run_once_configured() -> None:
    """S1-6 报告：特别重大舆情务必x小时内上报 — the number is configuration."""
    with pytest.raises(PolicyError, match="x小时"):
        load_preset("s1-6")
    overrides = {
        "obligations.g1.upward_report.duration": "1h",
        "obligations.g2.upward_report.duration": "2h",
        **{f"obligations.g{g}.golden_hours.duration": "2h" for g in (1, 2, 3, 4)},
    }
    p = play(load_preset("s1-6", overrides), "特别重大", "2026-03-02 09:00", [])
    assert p.due["upward_report"] == local("2026-03-02 10:00")
    assert p.level_at("upward_report", "2026-03-02 10:15") == 2


def test_s1_8_general_case_forwarded_in_2_hours_answered_in_1_day() -> None:
    """S1-8 处置(一)：2小时内转达相关业务科室，1天内给出正面的解释或解决。"""
    policy = load_preset("s1-8")
    assert evaluate_grade(policy.scheme, CaseMetrics(clicks=800)) == "g3"
    assert evaluate_grade(policy.scheme, CaseMetrics(comments=120)) == "g2"
    p = play(
        policy,
        "一般",
        "2026-03-06 15:00",
        [
            (E.report, "2026-03-06 15:10"),
            (E.assess, "2026-03-06 15:30"),
            (E.dispatch, "2026-03-06 16:30"),
        ],
    )
    assert p.due["forward_to_section"] == local("2026-03-06 17:00")
    assert "forward_to_section" in p.done
    assert p.due["explanation"] == local("2026-03-10 00:00")  # Fri → Mon is one working day
    assert p.level_at("explanation", "2026-03-10 04:00") == 3  # 三级: 2 h steps


def test_s1_12_five_hours_including_holidays_and_five_working_days() -> None:
    """S1-12 四(二)2(1)：发现网民发帖时起5小时内回应（含休息日、节假日）；
    发帖后24小时内正式解答；办理时限最长不得超过5个工作日。"""
    p = play(load_preset("s1-12"), "三级", "2026-09-29 10:00", [], posted="2026-09-29 08:00")
    assert p.due["first_response"] == local("2026-09-29 15:00")
    assert p.due["formal_answer"] == local("2026-09-30 08:00")
    assert p.due["handling_deadline"] == local("2026-10-13 00:00")
    holiday = play(load_preset("s1-12"), "三级", "2026-10-02 10:00", [])
    assert holiday.due["first_response"] == local("2026-10-02 15:00")


def test_s1_13_red_warning_reports_and_climbs_to_city_committee() -> None:
    """S1-13 (三)：红色预警报市委（时限取默认矩阵）。"""
    policy = load_preset("s1-13")
    p = play(policy, "红", "2026-03-02 09:00", [])
    assert p.due["quick_report"] == local("2026-03-02 09:30")
    assert p.level_at("quick_report", "2026-03-02 10:00") == 3
    assert policy.chain_level(3).label.endswith("市委")


def test_s1_18_ten_minute_rule() -> None:
    """S1-18 三：重特大负面舆情应于发现后10分钟内通知发生责任单位，告知县网信办。"""
    p = play(load_preset("s1-18"), "重特大", "2026-05-01 08:00", [])
    assert p.due["notify"] == local("2026-05-01 08:10")
    assert [
        p.level_at("notify", t)
        for t in ("2026-05-01 08:09", "2026-05-01 08:10", "2026-05-01 08:25", "2026-05-01 08:40")
    ] == [None, 1, 2, 3]


def test_s2_4_3_message_board_slips() -> None:
    """S2-4.3 三.3/三.5：3日内书面报送；紧急的2天内明确答复；网民反映事项后3日内在原网站
    反馈，确需延长的不得超过5日；三.7 逾期催办、通报。"""
    policy = load_preset("s2-4.3")
    p = play(
        policy,
        "紧急",
        "2026-03-02 10:00",
        [(E.report, "2026-03-02 11:00"), (E.dispatch, "2026-03-02 15:00")],
        posted="2026-03-02 08:00",
    )
    assert p.due["written_report"] == local("2026-03-06 00:00")
    assert p.due["urgent_answer"] == local("2026-03-05 00:00")
    assert p.due["reply_posted"] == local("2026-03-06 00:00")
    assert [
        p.level_at("reply_posted", t)
        for t in ("2026-03-06 00:00", "2026-03-07 00:00", "2026-03-08 00:00")
    ] == [1, 2, 3]
    assert policy.chain_level(2).label.startswith("催办")
    assert policy.chain_level(3).label.startswith("通报")
    rule = policy.rule("g1", "reply_posted")
    cap = extension_cap(rule, local("2026-03-02 08:00"), calendar=CAL)
    assert cap is not None and cap.at == local("2026-03-10 00:00")  # day 5 is Sat → Mon
    current = DueTime(p.due["reply_posted"])
    with pytest.raises(PolicyError, match="上限"):
        extend_due(
            "reply_posted",
            current,
            local("2026-03-11 00:00"),
            requested_by="承办单位",
            reason="需现场核实",
            approver="镇长",
            cap=cap,
        )


def test_s2_4_3_three_days_ending_in_national_day_move_past_it() -> None:
    """Civil Code art. 203: a period ending on a statutory holiday ends the day after it."""
    p = play(load_preset("s2-4.3"), "一般", "2026-09-28 10:00", [], posted="2026-09-28 08:00")
    assert p.due["reply_posted"] == local("2026-10-09 00:00")


def test_s4_closed_loop() -> None:
    """S4：舆情发现—分析研判—引导调控—评估反馈（时限取默认矩阵）。"""
    policy = load_preset("s4")
    p = play(
        policy,
        "二级",
        "2026-03-02 09:00",
        [
            (E.assess, "2026-03-02 09:30"),
            (E.respond, "2026-03-02 12:00"),
            (E.track, "2026-03-02 13:00"),
            (E.close, "2026-03-06 16:00"),
        ],
    )
    assert "first_response" in p.done
    assert p.due["feedback_report"] == local("2026-03-12 00:00")  # 3 working days after Fri
    with pytest.raises(PolicyError):
        apply_event(Stage.detected, E.report, at=local("2026-03-02 09:10"), policy=policy)


# --- who is told and who decides, against the seeds' own words (tests/support/seed_rules.py) ---

REPORT_ROWS = [
    pytest.param(preset, grade, expected, id=f"{preset}-{grade}")
    for preset, seed in SEEDS.items()
    for grade, expected in seed.report.items()
]
STATEMENT_ROWS = [
    pytest.param(preset, grade, expected, id=f"{preset}-{grade}")
    for preset, seed in SEEDS.items()
    for grade, expected in seed.statement.items()
]


def _policy(preset: str) -> Policy:
    return load_preset(preset, S1_6_HOURS if preset == "s1-6" else None)


S1_6_HOURS = {
    "obligations.g1.upward_report.duration": "1h",
    "obligations.g2.upward_report.duration": "2h",
    **{f"obligations.g{g}.golden_hours.duration": "2h" for g in (1, 2, 3, 4)},
}


@pytest.mark.parametrize(("preset", "grade", "expected"), REPORT_ROWS)
def test_the_quick_report_goes_where_the_seed_says(preset: str, grade: str, expected: Rule) -> None:
    told = set(_policy(preset).notify_roles(StageEvent.report, grade))
    assert told == expected.roles, expected.cite


@pytest.mark.parametrize(("preset", "grade", "expected"), STATEMENT_ROWS)
def test_the_statement_is_approved_by_whom_the_seed_names(
    preset: str, grade: str, expected: Rule
) -> None:
    assert set(_policy(preset).approver_roles("statement", grade)) == expected.roles, expected.cite


def test_s4_reports_the_handling_to_political_legal_propaganda_and_cyberspace() -> None:
    expected = SEEDS["s4"].review
    assert expected is not None
    assert set(_policy("s4").notify_roles(StageEvent.review, "一级")) == expected.roles


def test_s1_13_notice_to_the_city_committee_reaches_the_city_committee() -> None:
    """S1-13 (三)：红色级舆情报至市委 — the chain's 通报：市委 goes to 市委, not the group head."""
    policy, expected = _policy("s1-13"), SEEDS["s1-13"].top_chain
    assert expected is not None
    top = policy.chain[-1]
    assert top.label == "通报：市委" and set(top.roles) == expected.roles


def test_s1_6_titles_name_the_cyberspace_office_not_the_blank() -> None:
    """S1-6 报告：上报党组、上级部门和县xx办 — the blank is read as 县网信办 (seeds-spec §2.1-B)."""
    policy = _policy("s1-6")
    titles = [rule.title for grade in policy.scheme.ids for rule in policy.obligations_for(grade)]
    assert titles and all("xx" not in title for title in titles)
    assert "上报党组、上级部门和县网信办" in titles


def test_s1_18_titles_follow_the_grade() -> None:
    """S1-18 三：重特大 通知发生责任单位并告知县网信办；重要 上报网信办；一般 报分管领导."""
    policy = _policy("s1-18")
    assert policy.rule("重特大", "notify").title == "通知发生责任单位"
    assert policy.rule("一般", "notify").title == "报分管领导"


def test_every_role_has_a_chinese_label() -> None:
    from models.policy.roles import ROLE_LABELS, ROLES

    assert set(ROLE_LABELS) == set(ROLES)
