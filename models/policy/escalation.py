"""When the no-completion and no-acknowledgement chains fire (DESIGN §5), as pure arithmetic.

Before the due time a reminder goes to the owner once ``reminder_fraction`` of the window has
passed; at the due time chain level 1 fires; each ``repeat_interval`` after that climbs one
level, and the top level keeps repeating. A sweep that runs late catches up on every level that
came due, each marked with how late it is; quiet hours hold back the grades configured (三级 by
default) until the window ends. Who is on a level is `models.policy.routing`; recording and
sending are the repository's and the outbox's. Nothing here touches the database or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.policy.errors import PolicyError
from models.policy.policy import ChainLevel, EscalationRule


def reminder_at(anchor_at: datetime, due_at: datetime, rule: EscalationRule) -> datetime:
    """The moment ``reminder_fraction`` of the window from anchor to due has passed."""
    return anchor_at + (due_at - anchor_at) * rule.reminder_fraction


def ack_due(delivered_at: datetime, rule: EscalationRule) -> datetime:
    """When an unacknowledged alert moves to the next channel or the deputy/duty officer."""
    return delivered_at + rule.ack_window


def escalation_times(
    due_at: datetime, rule: EscalationRule, chain: tuple[ChainLevel, ...]
) -> tuple[tuple[ChainLevel, datetime], ...]:
    """Each chain level with the moment it first fires: level k at due + (k-1) × interval."""
    return tuple((rung, due_at + rule.repeat_interval * i) for i, rung in enumerate(chain))


def chain_level_at(
    due_at: datetime, now: datetime, rule: EscalationRule, chain: tuple[ChainLevel, ...]
) -> ChainLevel | None:
    """The chain level in force at ``now`` for an obligation still open; None before due."""
    if not chain:
        raise PolicyError("督办链为空 / the escalation chain is empty")
    if now < due_at:
        return None
    steps = int((now - due_at) // rule.repeat_interval)
    return chain[min(steps, len(chain) - 1)]


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


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (local time, may cross midnight) that holds back alerts of `grades`."""

    start: time
    end: time
    grades: frozenset[str]  # grade ids, e.g. {"g3"}


@dataclass(frozen=True)
class ObligationPlan:
    remind: bool  # fire the owner's reminder now
    reminder_superseded: bool  # the reminder's time passed unfired; level 1 now tells the owner
    steps: tuple[LapseStep, ...]
    next_check_at: datetime | None
    held_until: datetime | None = None  # quiet hours: nothing fires before this


def quiet_until(
    at: datetime, quiet: QuietHours | None, *, grade: str, tz: ZoneInfo
) -> datetime | None:
    """When the quiet window holding `at` ends (UTC), or None if `at` is not held for `grade`."""
    if quiet is None or grade not in quiet.grades or quiet.start == quiet.end:
        return None
    local = at.astimezone(tz)
    now_t = local.time()
    crosses = quiet.start > quiet.end
    inside = (
        (now_t >= quiet.start or now_t < quiet.end) if crosses else quiet.start <= now_t < quiet.end
    )
    if not inside:
        return None
    end = datetime.combine(local.date(), quiet.end, tzinfo=tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=tz)
    return end.astimezone(UTC)


def plan_obligation(
    *,
    anchor_at: datetime,
    due_at: datetime,
    fired_level: int,
    reminded: bool,
    rule: EscalationRule,
    chain: tuple[ChainLevel, ...],
    now: datetime,
    held_until: datetime | None = None,
) -> ObligationPlan:
    """What the no-completion chain does for one obligation at `now`.

    The reminder fires once `reminder_fraction` of the window has passed and before the due
    time; a sweep that first looks after the due time marks it superseded (level 1 includes the
    owner) instead of sending a stale reminder. `held_until` (from `quiet_until`) postpones
    whatever is due to the end of the quiet window, where it fires marked as late.
    """
    levels = plan_escalation(
        due_at=due_at, fired_level=fired_level, rule=rule, chain=chain, now=now
    )
    pending = not reminded and fired_level == 0
    remind_time = reminder_at(anchor_at, due_at, rule)
    remind = pending and remind_time <= now < due_at
    superseded = pending and now >= due_at
    if held_until is not None and (remind or levels.steps):
        return ObligationPlan(False, False, (), held_until, held_until)
    next_check = levels.next_check_at
    if pending and now < remind_time:
        next_check = remind_time
    return ObligationPlan(remind, superseded, levels.steps, next_check)
