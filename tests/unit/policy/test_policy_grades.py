"""Grade schemes: name resolution, the "any one of" rules of each built-in scheme, and
regrade decisions (up automatic, down only with actor, reason and approver)."""

from __future__ import annotations

import pytest

from models.policy import (
    BUILTIN_SCHEMES,
    CaseMetrics,
    MediaLevel,
    Policy,
    PolicyError,
    decide_regrade,
    evaluate_grade,
    upgrade_for_metrics,
)

THREE, NUMERIC, COLOURS, FOUR = (
    BUILTIN_SCHEMES[k] for k in ("three_grade", "numeric", "colours", "four_level")
)
M = CaseMetrics


@pytest.mark.parametrize(
    ("name", "grade"),
    [
        ("一级", "g1"),
        ("g1", "g1"),
        ("G1", "g1"),
        ("特别重大", "g1"),
        ("重大", "g1"),
        ("红", "g1"),
        ("二级", "g2"),
        ("较大", "g2"),
        ("橙", "g2"),
        ("黄", "g2"),
        ("三级", "g3"),
        ("一般", "g3"),
        ("蓝", "g3"),
    ],
)
def test_default_scheme_resolves_names(name: str, grade: str, policy: Policy) -> None:
    assert policy.scheme.level(name).id == grade


def test_level_contract(policy: Policy) -> None:
    level = policy.scheme.level("一级")
    assert (level.id, level.label, level.rank) == ("g1", "一级", 1)


def test_unknown_grade_lists_valid_names(policy: Policy) -> None:
    with pytest.raises(PolicyError) as info:
        policy.scheme.level("四级")
    assert "四级" in str(info.value) and "一级" in str(info.value) and "g3" in str(info.value)


THREE_CASES = [
    ("nothing", M(), "g3"),
    ("central-media", M(media_level=MediaLevel.central), "g1"),
    ("national-portal", M(media_level=MediaLevel.national_portal), "g1"),
    ("3000-clicks", M(clicks=3000), "g1"),
    ("3200-clicks", M(clicks=3200), "g1"),
    ("2999-clicks", M(clicks=2999), "g2"),
    ("1000-clicks", M(clicks=1000), "g2"),
    ("999-clicks", M(clicks=999), "g3"),
    ("500-comments", M(comments=500), "g1"),
    ("499-comments", M(comments=499), "g2"),
    ("6-mainstream-sites", M(mainstream_sites=6), "g1"),
    ("provincial-media", M(media_level=MediaLevel.provincial), "g2"),
    ("city-sites", M(media_level=MediaLevel.city), "g2"),
    ("traditional-media", M(traditional_media=True), "g2"),
    ("local-only", M(media_level=MediaLevel.local, clicks=200), "g3"),
]


@pytest.mark.parametrize(
    ("metrics", "grade"), [c[1:] for c in THREE_CASES], ids=[c[0] for c in THREE_CASES]
)
def test_three_grade_rules_design_section_3(metrics: CaseMetrics, grade: str) -> None:
    assert evaluate_grade(THREE, metrics) == grade


NUMERIC_CASES = [
    ("5-mainstream-sites-is-top", M(mainstream_sites=5), "g1"),  # 5家以上 includes 5
    ("4-mainstream-sites", M(mainstream_sites=4), "g2"),
    ("1-mainstream-site", M(mainstream_sites=1), "g2"),
    ("no-sites", M(), "g3"),
    ("3000-clicks", M(clicks=3000), "g1"),
    ("100-comments", M(comments=100), "g2"),
]


@pytest.mark.parametrize(
    ("metrics", "grade"), [c[1:] for c in NUMERIC_CASES], ids=[c[0] for c in NUMERIC_CASES]
)
def test_numeric_scheme_s1_8(metrics: CaseMetrics, grade: str) -> None:
    assert evaluate_grade(NUMERIC, metrics) == grade


@pytest.mark.parametrize(
    ("metrics", "grade"),
    [
        (M(), "blue"),
        (M(traditional_media=True), "orange"),
        (M(media_level=MediaLevel.central, traditional_media=True), "red"),
    ],
    ids=["quiet", "traditional-media", "central-media"],
)
def test_colour_scheme_s1_13(metrics: CaseMetrics, grade: str) -> None:
    assert evaluate_grade(COLOURS, metrics) == grade
    assert COLOURS.level("红").id == "red"


@pytest.mark.parametrize(
    ("metrics", "grade"),
    [
        (M(), "g4"),
        (M(sites=3), "g3"),
        (M(traditional_media=True), "g2"),
        (M(sensitive_period=True, sites=2), "g2"),
        (M(sensitive_period=True), "g4"),
    ],
    ids=["quiet", "different-sites", "mainstream-media", "key-date-spreading", "key-date-only"],
)
def test_four_level_scheme_s1_6(metrics: CaseMetrics, grade: str) -> None:
    assert evaluate_grade(FOUR, metrics) == grade


def test_upgrade_is_automatic(policy: Policy) -> None:
    decision = decide_regrade(policy.scheme, "三级", "一级")
    assert (decision.from_grade, decision.to_grade) == ("g3", "g1")
    assert decision.upgrade and decision.automatic


def test_manual_upgrade_records_actor(policy: Policy) -> None:
    decision = decide_regrade(policy.scheme, "g2", "g1", actor="张三", reason="央媒转载")
    assert decision.upgrade and not decision.automatic and decision.actor == "张三"


@pytest.mark.parametrize(
    ("missing", "named"), [("actor", "申请人"), ("reason", "理由"), ("approver", "审批人")]
)
def test_downgrade_needs_actor_reason_and_approver(
    missing: str, named: str, policy: Policy
) -> None:
    args = {"actor": "张三", "reason": "已澄清", "approver": "李四"}
    args[missing] = ""
    with pytest.raises(PolicyError, match=f"缺少：{named}$"):
        decide_regrade(policy.scheme, "g1", "g3", **args)


def test_downgrade_with_consent(policy: Policy) -> None:
    decision = decide_regrade(
        policy.scheme, "g1", "g3", actor="张三", reason="已澄清", approver="李四"
    )
    assert not decision.upgrade and decision.approver == "李四"


def test_unchanged_grade_is_not_a_regrade(policy: Policy) -> None:
    with pytest.raises(PolicyError):
        decide_regrade(policy.scheme, "一级", "g1")


def test_metrics_crossing_a_band_upgrade(policy: Policy) -> None:
    decision = upgrade_for_metrics(policy.scheme, "g3", M(clicks=3200))
    assert decision is not None and decision.to_grade == "g1" and decision.automatic


def test_metrics_never_downgrade(policy: Policy) -> None:
    assert upgrade_for_metrics(policy.scheme, "g1", M()) is None
