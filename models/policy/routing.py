"""Who a chain level reaches, as pure rules (DESIGN §5): the duty roster overlaying the
organisation's role holders, the no-acknowledgement chain (the same person's next channel, then
their deputy or the duty officer), channel fall-over and the retry delay of a failed send.
Standard library only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Routing:
    """Who a chain level reaches beyond its own roles: the duty roster, and for the grades with
    dual reporting (双重报告) a second reporting line, level by level."""

    shifts: tuple[Shift, ...] = ()
    dual_grades: frozenset[str] = frozenset()  # grade ids that also use the second chain
    second_chain: tuple[tuple[str, ...], ...] = ()  # roles per level

    def second_roles(self, grade: str, level: int) -> tuple[str, ...]:
        """The second chain's roles at `level` for a dual-reporting grade (else none)."""
        if grade not in self.dual_grades or not self.second_chain or level < 1:
            return ()
        return self.second_chain[min(level, len(self.second_chain)) - 1]


@dataclass(frozen=True)
class Shift:
    """Someone on duty in `role` from `start` (inclusive) to `end` (exclusive)."""

    person: str
    role: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class NoAckStep:
    step: int  # 1: the same person's next channel; 2: the deputy or the duty officer
    recipient: str
    channel: str


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
