"""Pure rules of the two escalation chains (DESIGN §5) beyond the level arithmetic of
`models.escalation`: the 75% reminder and its hand-over to level 1, quiet hours (which hold back
only the grades configured, 三级 by default), the duty roster overlaying the organisation's role
holders, the no-acknowledgement chain (next channel → deputy or duty officer), channel fall-over
and the retry delay of a failed send. Standard library and `models.policy` only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.escalation import LapseStep, plan_escalation
from models.policy import ChainLevel, EscalationRule, reminder_at


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (local time, may cross midnight) that holds back alerts of `grades`."""

    start: time
    end: time
    grades: frozenset[str]  # grade ids, e.g. {"g3"}


@dataclass(frozen=True)
class Shift:
    """Someone on duty in `role` from `start` (inclusive) to `end` (exclusive)."""

    person: str
    role: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ObligationPlan:
    remind: bool  # fire the owner's reminder now
    reminder_superseded: bool  # the reminder's time passed unfired; level 1 now tells the owner
    steps: tuple[LapseStep, ...]
    next_check_at: datetime | None
    held_until: datetime | None = None  # quiet hours: nothing fires before this


@dataclass(frozen=True)
class NoAckStep:
    step: int  # 1: the same person's next channel; 2: the deputy or the duty officer
    recipient: str
    channel: str


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


def overlay_roster(
    holders: Mapping[str, Sequence[str]], shifts: Sequence[Shift], *, at: datetime
) -> dict[str, list[str]]:
    """Role holders at `at`: a rostered role is held by whoever's shift covers `at`; roles with
    no covering shift keep the organisation's holders."""
    overlaid = {role: list(people) for role, people in holders.items()}
    on_duty: dict[str, list[str]] = {}
    for shift in shifts:
        if shift.start <= at < shift.end and shift.person not in on_duty.get(shift.role, []):
            on_duty.setdefault(shift.role, []).append(shift.person)
    overlaid.update(on_duty)
    return overlaid


def next_channel(channels: Sequence[str], current: str) -> str | None:
    """The channel after `current` in the person's order of preference, if any."""
    if current not in channels:
        return None
    index = list(channels).index(current)
    return channels[index + 1] if index + 1 < len(channels) else None


def plan_no_ack(
    *,
    step_done: int,
    recipient: str,
    channel: str,
    channels_of: Mapping[str, Sequence[str]],
    deputy: str | None,
    duty: Sequence[str],
) -> list[NoAckStep]:
    """The next rung of the no-acknowledgement chain for an alert nobody acknowledged in time:
    step 1 the same person's next channel (skipped when there is none), step 2 their deputy or,
    without one, the duty officers on first channels. Nothing after step 2."""
    if step_done == 0:
        following = next_channel(channels_of.get(recipient, ()), channel)
        if following is not None:
            return [NoAckStep(1, recipient, following)]
    if step_done >= 2:
        return []
    targets = [deputy] if deputy else [p for p in duty if p != recipient]
    return [
        NoAckStep(2, person, channels_of[person][0])
        for person in dict.fromkeys(targets)
        if channels_of.get(person)
    ]


def retry_delay(
    attempt: int, *, base: timedelta, cap: timedelta, retry_after: timedelta | None = None
) -> timedelta:
    """Wait before dispatch attempt `attempt + 1`: exponential from `base`, at most `cap`; a
    channel's Retry-After, when known, is honoured even above the cap."""
    factor: int = 2 ** max(0, attempt - 1)
    backoff = min(cap, base * factor)
    return max(backoff, retry_after) if retry_after is not None else backoff
