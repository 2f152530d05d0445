"""Whether a policy's alerts can reach anybody: for every obligation of every grade and every
level of the no-completion chain, at least one of the level's roles (with `OWNER` as the
obligation's owner role) must be held by someone who can be reached. A level nobody can be told
of is an error at the chain's first level (the lapse itself would alert nobody) and a warning
above it (the lapse is told, the climb is not). Standard library only: the caller says who
holds which role (the organisation, the duty roster, people with a channel)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from models.policy.policy import Policy


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
