"""Tell nobody, never: whether a policy's alerts and reports can reach anybody, as pure rules
over the policy and who holds which role (with a channel), rostered shifts included.

- Every obligation of every grade, at every level of its chain: at least one of the level's
  roles (`OWNER` being the obligation's owner role) must be held by someone reachable. A level
  nobody can be told of is an error at the chain's first level (the lapse itself would alert
  nobody) and a warning above it (the lapse is told, the climb is not).
- Every grade's report targets (快报的报送对象, `notify.report`): a target role nobody reachable
  holds is named with its grade ("红色预警的报送对象 市委 无人担任"): an error when it leaves
  the grade's quick report reaching nobody at all, a warning while other targets are reached.
  Roles resolved within a case's responsible units (责任单位负责人、联络员) depend on the case,
  and are not checked here.

`nobody_reason` words the same failure for a step that reached nobody at run time. Standard
library only: the caller says who holds which role."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from models.policy.policy import Policy
from models.policy.roles import ROLE_LABELS, UNIT_ROLES
from models.policy.stages import StageEvent

__all__ = [
    "ReachGap",
    "TargetGap",
    "holders_of",
    "nobody_reason",
    "reach_report",
    "unreachable_levels",
    "unreachable_targets",
]


@dataclass(frozen=True)
class ReachGap:
    """A chain level of an obligation that reaches nobody, in the grades where it does not."""

    obligation: str
    title: str
    level: int
    label: str
    roles: tuple[str, ...]
    grades: tuple[str, ...]
    first: bool  # the chain's first level: an error; any later level: a warning


@dataclass(frozen=True)
class TargetGap:
    """A grade's report target roles that nobody reachable holds."""

    grade: str  # its label (红色, 一级…)
    roles: tuple[str, ...]
    nobody: bool  # none of the grade's targets is reached: the quick report tells nobody


def holders_of(
    people: Iterable[tuple[str, Iterable[str], bool]], shifts: Iterable[tuple[str, str]] = ()
) -> dict[str, list[str]]:
    """Role → the people holding it who can be reached: `people` as (id, roles, has a
    channel), rostered `shifts` as (person, role) (whoever is on a shift may be on duty when a
    lapse comes)."""
    reachable: dict[str, list[str]] = {}
    ids = set()
    for person, roles, has_channel in people:
        if not has_channel:
            continue
        ids.add(person)
        for role in roles:
            reachable.setdefault(role, []).append(person)
    for person, role in shifts:
        if person in ids and person not in reachable.get(role, []):
            reachable.setdefault(role, []).append(person)
    return reachable


def unreachable_levels(policy: Policy, holders: Mapping[str, Collection[str]]) -> list[ReachGap]:
    """Every (obligation, chain level) whose roles nobody in `holders` (role → people) holds,
    obligations in the policy's order, levels in chain order."""
    if not policy.chain:
        return []
    first = min(rung.level for rung in policy.chain)
    found: dict[tuple[str, int, tuple[str, ...]], list[str]] = {}
    titles: dict[str, str] = {}
    for grade in policy.scheme.ids:
        label = policy.scheme.level(grade).label
        for rule in policy.obligations.get(grade, ()):
            titles.setdefault(rule.key, rule.title)
            for rung in policy.chain:
                roles = rung.recipients(rule.owner_role)
                if not any(holders.get(role) for role in roles):
                    found.setdefault((rule.key, rung.level, roles), []).append(label)
    order = {key: n for n, key in enumerate(policy.rule_keys())}
    rungs = {rung.level: rung.label for rung in policy.chain}
    gaps = [
        ReachGap(key, titles[key], level, rungs[level], roles, tuple(grades), level == first)
        for (key, level, roles), grades in found.items()
    ]
    return sorted(gaps, key=lambda gap: (order[gap.obligation], gap.level))


def unreachable_targets(policy: Policy, holders: Mapping[str, Collection[str]]) -> list[TargetGap]:
    """Every grade whose report targets nobody in `holders` holds, in the scheme's order."""
    gaps = []
    for grade in policy.scheme.ids:
        targets = policy.notify_roles(StageEvent.report, grade)
        missing = tuple(r for r in targets if r not in UNIT_ROLES and not holders.get(r))
        if missing:
            reached = any(holders.get(r) for r in targets if r not in UNIT_ROLES)
            gaps.append(TargetGap(policy.scheme.level(grade).label, missing, nobody=not reached))
    return gaps


def nobody_reason(grade_label: str, roles: Iterable[str], *, what: str = "报送对象") -> str:
    """ "红色预警的报送对象 市委 无人担任": why a step reached nobody."""
    kind = "预警" if grade_label.endswith("色") else "舆情"
    named = "、".join(ROLE_LABELS.get(role, role) for role in roles)
    return f"{grade_label}{kind}的{what} {named} 无人担任"


def reach_report(
    policy: Policy, holders: Mapping[str, Collection[str]]
) -> tuple[list[str], list[str]]:
    """(errors, warnings) in Chinese, each with the field to fix: a grade whose quick report
    reaches nobody and every first chain level nobody holds (errors); a report target nobody
    holds beside others that are reached and every later chain level (warnings)."""
    errors: list[str] = []
    warnings: list[str] = []
    for target in unreachable_targets(policy, holders):
        (errors if target.nobody else warnings).append(
            f"people.roles: 策略 {policy.id}：{nobody_reason(target.grade, target.roles)}"
            "（或担任者没有通知渠道）"
        )
    for gap in unreachable_levels(policy, holders):
        roles = "、".join(ROLE_LABELS.get(role, role) for role in gap.roles)
        (errors if gap.first else warnings).append(
            f"people.roles: 策略 {policy.id} 的义务“{gap.title}”（{'、'.join(gap.grades)}）"
            f"第{gap.level}级（{gap.label}）无人可通知：没有人担任 {roles} 之一，"
            "或担任者没有通知渠道"
        )
    return errors, warnings
