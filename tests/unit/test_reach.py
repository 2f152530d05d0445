"""The reach rule as a pure function over the policy and who holds which role: a chain level
of an obligation that nobody holds is found, an error at the first level and a warning above,
in the policy's order, with the grades it happens in."""

from __future__ import annotations

from models.policy.reach import unreachable_levels
from models.store.presets import default_policy

EVERYONE = {
    "office_staff": ["wang"],
    "leader_in_charge": ["li"],
    "duty_officer": ["zhao"],
    "principal_leader": ["chen"],
    "office_head": ["chen"],
    "group_head": ["sun"],
}


def test_a_full_office_reaches_every_level() -> None:
    assert unreachable_levels(default_policy(), EVERYONE) == []


def test_nobody_at_all_is_an_error_at_every_first_level() -> None:
    policy = default_policy()
    gaps = unreachable_levels(policy, {})
    firsts = [gap for gap in gaps if gap.first]
    assert [gap.obligation for gap in firsts] == list(policy.rule_keys())
    assert {gap.level for gap in gaps if not gap.first} == {2, 3}
    quick = firsts[0]
    assert (quick.title, quick.grades) == ("快报", ("一级", "二级", "三级"))
    assert quick.roles == ("office_staff", "leader_in_charge", "duty_officer")


def test_the_owner_alone_can_carry_the_first_level() -> None:
    only_staff = {"office_staff": ["wang"], "principal_leader": ["chen"], "group_head": ["sun"]}
    gaps = unreachable_levels(default_policy(), only_staff)
    # Obligations owned by office staff are reached; those owned by the unit or the office head
    # are not, at their first level only.
    assert {(g.obligation, g.level) for g in gaps} == {
        ("verification", 1),
        ("press_conference", 1),
        ("handling_completed", 1),
    }
    assert all(g.first for g in gaps)


def test_a_missing_group_head_is_a_warning_on_the_third_level() -> None:
    holders = {role: people for role, people in EVERYONE.items() if role != "group_head"}
    gaps = unreachable_levels(default_policy(), holders)
    assert gaps and all(g.level == 3 and not g.first and g.roles == ("group_head",) for g in gaps)


def test_a_grade_whose_quick_report_reaches_nobody_is_an_error_naming_grade_and_role() -> None:
    from models.policy.reach import holders_of, reach_report, unreachable_targets
    from models.store.presets import load_preset

    s1_13 = load_preset("s1-13")
    everyone = {**EVERYONE, "office_head": ["chen"]}
    gaps = unreachable_targets(s1_13, everyone)
    assert [(g.grade, g.roles, g.nobody) for g in gaps] == [("红色", ("party_committee",), True)]
    errors, _ = reach_report(s1_13, everyone)
    assert errors == [
        "people.roles: 策略 s1-13：红色预警的报送对象 市委（党委） 无人担任（或担任者没有通知渠道）"
    ]
    # people without a channel hold nothing; a rostered shift holds its role
    holders = holders_of(
        [("a", ["party_committee"], False), ("b", ["monitor"], True)], [("b", "party_committee")]
    )
    assert holders == {"monitor": ["b"], "party_committee": ["b"]}


def test_a_report_target_unheld_beside_reached_ones_is_a_warning() -> None:
    from models.policy.reach import reach_report

    holders = {role: people for role, people in EVERYONE.items() if role != "leader_in_charge"}
    errors, warnings = reach_report(default_policy(), holders)
    assert not any("报送对象" in e for e in errors)
    assert sum("一级舆情的报送对象 分管领导 无人担任" in w for w in warnings) == 1
