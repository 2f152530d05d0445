"""Each preset edited for issue 19 follows the rule its seed states (the section cited per test):
the obligations that only apply when needed are waivable, the ones met by a leader's
instruction, a handling plan, the case file or a referral say so, the plan and release approvers
are whom the seed names, the category playbooks refer where the seed says, the titles follow
the grade. The behaviour these rules drive is in tests/db/test_seed_verbs.py."""

from __future__ import annotations

from models.policy import Anchor, Policy, StageEvent
from models.store.presets import load_preset

S1_6_HOURS = {  # S1-6 leaves its hours blank ("x小时"): an office supplies them
    "obligations.g1.upward_report.duration": "1h",
    "obligations.g2.upward_report.duration": "2h",
    **{f"obligations.g{g}.golden_hours.duration": "2h" for g in (1, 2, 3, 4)},
}


def _policy(preset: str) -> Policy:
    return load_preset(preset, S1_6_HOURS if preset == "s1-6" else None)


def test_default_needed_when_press_conference_is_waivable_and_the_reports_are_titled_by_grade() -> (
    None
):
    """国办发〔2016〕80号: 新闻发布会 需要时; S1-4§13: 一级 纸质快报 in 1 h; S1-4§14: 二级
    《网上舆情》 bulletin — not one title mixing both."""
    policy = _policy("default")
    assert policy.rule("一级", "press_conference").waivable
    assert not policy.rule("一级", "quick_report").waivable
    assert policy.rule("一级", "written_report").title == "纸质快报送达"
    assert policy.rule("二级", "written_report").title == "书面报告《网上舆情》"


def test_default_playbooks_refer_rumours_to_public_security_and_graft_to_discipline() -> None:
    """S1-1 四(三)3, S1-6: a rumour is referred to law enforcement (when needed); S1-16:
    corruption goes to the discipline commission, always."""
    playbooks = _policy("default").playbooks
    (rumour,) = playbooks["rumour"].rules
    assert rumour.optional and "refer:public_security" in rumour.met_by
    (graft,) = playbooks["corruption"].rules
    assert not graft.waivable and graft.met_by == ("refer:discipline",)
    hype = playbooks["hype"].continued
    assert hype is not None and hype.optional


def test_s0_7_quick_report_titles_name_the_grades_targets() -> None:
    """S0-7 第三步, 五.1–五.3: 特别重大 → 市委宣传部 and the 组长's 请示 to 市委、市政府主要领导;
    重大或较大 → 市政府分管领导、市委宣传部; 一般 → the group (its office does it)."""
    policy = _policy("s0-7")
    top, middle, low = (policy.rule(g, "quick_report").title for g in policy.scheme.ids)
    assert "市委宣传部" in top and "市政府主要领导" in top
    assert "市政府分管领导" in middle and "市委宣传部" in middle
    assert "办公室" in low and "宣传部" not in low
    assert {"government_leader", "propaganda_dept"} <= set(
        policy.notify_roles(StageEvent.report, "重大或较大")
    )


def test_s1_1_rumours_and_continued_hype_go_to_discipline_or_law_enforcement() -> None:
    """S1-1 四(三)3: 捏造、歪曲…商请执纪执法部门查处; 四(三)2: 告知后仍继续炒作的 (when needed)."""
    playbooks = _policy("s1-1").playbooks
    (rumour,) = playbooks["rumour"].rules
    assert set(rumour.met_by) == {"refer:discipline", "refer:public_security"}
    assert not rumour.waivable
    hype = playbooks["hype"].continued
    assert hype is not None and hype.optional


def test_s1_2_and_s1_5_the_units_plan_is_approved_by_its_leader_in_charge() -> None:
    """S1-2 / S1-5 四(二): the unit draws up a 处置方案 or 实施计划, approved by the leader in
    charge; it is owed from the contact sheet's receipt and met by the approved plan."""
    for preset in ("s1-2", "s1-5"):
        policy = _policy(preset)
        for grade in policy.scheme.ids:
            rule = policy.rule(grade, "handling_plan")
            assert rule.met_by == ("plan",) and rule.owner_role == "unit_responsible", preset
            assert rule.anchor is Anchor.contact_sheet_received
            assert policy.approver_roles("plan", grade) == ("leader_in_charge",), preset


def test_s1_5_and_s1_2_rumours_are_reported_to_propaganda_and_public_security() -> None:
    """S1-2 四(二) / S1-5 四(二): 散布谣言…及时向县委宣传部（S1-5: 政法委）及公安局反映."""
    assert "propaganda_dept" in _policy("s1-2").playbooks["rumour"].notify
    notify = _policy("s1-5").playbooks["rumour"].notify
    assert {"propaganda_dept", "political_legal"} <= set(notify)
    for preset in ("s1-2", "s1-5"):
        (rule,) = _policy(preset).playbooks["rumour"].rules
        assert rule.met_by == ("refer:public_security",)


def test_s1_6_rumours_go_to_public_security_and_the_cyberspace_office_is_told() -> None:
    """S1-6 分级处置: 造谣诽谤的报公安; 不实帖文书面报县网信办（原文“县xx办”）."""
    playbook = _policy("s1-6").playbooks["rumour"]
    assert "cyberspace_office" in playbook.notify
    assert [r.met_by for r in playbook.rules] == [("refer:public_security",)]


def test_s1_12_formal_answer_only_for_quick_problems_is_waivable_from_the_post_time() -> None:
    """S1-12: 对能迅速解决的一般问题…作出正式解答 — only some items get one, so the office
    resolves the others as 不需要; its clock runs from the posting (5 h 从发帖起算)."""
    policy = _policy("s1-12")
    for grade in policy.scheme.ids:
        rule = policy.rule_any_grade(grade, "formal_answer")
        assert rule.waivable and rule.anchor is Anchor.post_time


def test_s2_4_3_assignment_is_a_leaders_instruction_and_the_file_is_archived() -> None:
    """S2-4.3 三.2 批办: the leader's handling opinion on the 抄告单 (a 批示); 三.6 立卷归档
    after closure (the case file exported)."""
    policy = _policy("s2-4.3")
    for grade in policy.scheme.ids:
        assert policy.rule(grade, "assignment").met_by == ("instruct",)
        filing = policy.rule(grade, "filing")
        assert filing.met_by == ("archive",) and filing.anchor is Anchor.closure


def test_s4_reports_upward_and_the_group_head_consents_to_releases() -> None:
    """S4 三(三) 请示、报告 and 二.4 向县委政法委和县委宣传、网信等部门报告; 二.4 敏感节点期间
    原则上不发布: the 工作专班组长 consents; 二.2: 造谣传谣的依法依规严肃处置."""
    policy = _policy("s4")
    told = set(policy.notify_roles(StageEvent.report, "一级"))
    assert {"political_legal", "propaganda_dept", "cyberspace_office"} <= told
    assert all(policy.approver_roles("release", g) == ("group_head",) for g in policy.scheme.ids)
    (rumour,) = policy.playbooks["rumour"].rules
    assert rumour.met_by == ("refer:public_security",)
