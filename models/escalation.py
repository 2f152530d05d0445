"""Pure escalation planning: which chain levels of a lapsed obligation are due to fire at a given
time, how late each is, when to look again, and who the recipients of a level are. The sweep
calls these inside its transaction; nothing here touches the database or the clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.policy import ChainLevel, EscalationRule
from models.policy.escalation import escalation_times


@dataclass(frozen=True)
class LapseStep:
    """One chain level that is due: when it was due to fire and how late it fires."""

    level: int
    due_at: datetime
    late_by: timedelta


@dataclass(frozen=True)
class EscalationPlan:
    steps: tuple[LapseStep, ...]
    next_check_at: datetime | None  # None: the chain is exhausted


def plan_escalation(
    *,
    due_at: datetime,
    fired_level: int,
    rule: EscalationRule,
    chain: tuple[ChainLevel, ...],
    now: datetime,
) -> EscalationPlan:
    """The chain levels not yet fired whose time (`escalation_times`) has come by `now`.

    Every such level fires, so a sweep that ran late (or after downtime) catches up on all of
    them, each marked with how late it is, instead of skipping any.
    """
    steps: list[LapseStep] = []
    for rung, fire_at in escalation_times(due_at, rule, chain):
        if rung.level <= fired_level:
            continue
        if fire_at > now:
            return EscalationPlan(tuple(steps), fire_at)
        steps.append(LapseStep(level=rung.level, due_at=fire_at, late_by=now - fire_at))
    return EscalationPlan(tuple(steps), None)


def recipients(roles: Sequence[str], *, holders: Mapping[str, Sequence[str]]) -> list[str]:
    """The people holding the level's roles, in role order, each once."""
    people: list[str] = []
    for role in roles:
        for person in holders.get(role, ()):
            if person not in people:
                people.append(person)
    return people


def format_late(late_by: timedelta, *, language: str = "zh") -> str:
    """'3小时5分钟' / '3 h 5 min': how late, to the minute."""
    minutes = max(0, int(late_by.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if language == "en":
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{hours}小时{minutes}分钟" if hours else f"{minutes}分钟"
