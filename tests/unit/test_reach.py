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
