"""The pure chain rules as truth tables: the reminder and its hand-over to level 1, quiet hours
(crossing midnight, 三级 only), the roster overlay, the no-ack steps, and the retry delay."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.policy import ChainLevel, EscalationRule
from models.policy.escalation import QuietHours, plan_obligation, quiet_until
from models.policy.routing import (
    NoAckStep,
    Shift,
    next_channel,
    overlay_roster,
    plan_no_ack,
    retry_delay,
)

SH = ZoneInfo("Asia/Shanghai")
ANCHOR = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
DUE = ANCHOR + timedelta(minutes=40)
RULE = EscalationRule(ack_window=timedelta(minutes=10), repeat_interval=timedelta(minutes=15))
CHAIN = tuple(ChainLevel(level=n, roles=("owner",), label=f"L{n}") for n in (1, 2, 3))
QUIET = QuietHours(time(22, 0), time(7, 0), frozenset({"g3"}))


@pytest.mark.parametrize(
    ("minutes", "reminded", "remind", "superseded", "levels", "next_minutes"),
    [
        (29, False, False, False, [], 30),  # before 75%: look again at the reminder time
        (30, False, True, False, [], 40),  # the reminder, then the due time
        (35, True, False, False, [], 40),
        (41, False, False, True, [1], 55),  # first look after due: level 1 replaces it
        (41, True, False, False, [1], 55),
    ],
)
def test_plan_obligation(
    minutes: int,
    reminded: bool,
    remind: bool,
    superseded: bool,
    levels: list[int],
    next_minutes: int,
) -> None:
    plan = plan_obligation(
        anchor_at=ANCHOR,
        due_at=DUE,
        fired_level=1 if minutes > 41 else 0,
        reminded=reminded,
        rule=RULE,
        chain=CHAIN,
        now=ANCHOR + timedelta(minutes=minutes),
    )
    assert (plan.remind, plan.reminder_superseded) == (remind, superseded)
    assert [s.level for s in plan.steps] == levels
    assert plan.next_check_at == ANCHOR + timedelta(minutes=next_minutes)


def test_quiet_hours_hold_only_what_is_due() -> None:
    until = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    held = plan_obligation(
        anchor_at=ANCHOR,
        due_at=DUE,
        fired_level=0,
        reminded=True,
        rule=RULE,
        chain=CHAIN,
        now=DUE,
        held_until=until,
    )
    assert (held.steps, held.next_check_at, held.held_until) == ((), until, until)
    early = plan_obligation(
        anchor_at=ANCHOR,
        due_at=DUE,
        fired_level=0,
        reminded=True,
        rule=RULE,
        chain=CHAIN,
        now=DUE - timedelta(minutes=1),
        held_until=until,
    )
    assert early.held_until is None and early.next_check_at == DUE


@pytest.mark.parametrize(
    ("local", "grade", "until_local"),
    [
        ("2026-11-22 23:30", "g3", "2026-11-23 07:00"),
        ("2026-11-23 06:59", "g3", "2026-11-23 07:00"),
        ("2026-11-23 07:00", "g3", None),
        ("2026-11-22 21:59", "g3", None),
        ("2026-11-22 23:30", "g1", None),  # 一级 and 二级 are never held
    ],
)
def test_quiet_until(local: str, grade: str, until_local: str | None) -> None:
    at = datetime.fromisoformat(local).replace(tzinfo=SH)
    expected = datetime.fromisoformat(until_local).replace(tzinfo=SH) if until_local else None
    assert quiet_until(at, QUIET, grade=grade, tz=SH) == expected


def test_the_roster_replaces_a_role_only_while_a_shift_covers_the_time() -> None:
    shift = Shift("qian", "duty_officer", ANCHOR, ANCHOR + timedelta(hours=8))
    holders = {"duty_officer": ["zhao"], "office_staff": ["wang"]}
    during = overlay_roster(holders, [shift], at=ANCHOR + timedelta(hours=1))
    after = overlay_roster(holders, [shift], at=ANCHOR + timedelta(hours=8))
    assert during == {"duty_officer": ["qian"], "office_staff": ["wang"]}
    assert after == holders


CHANNELS = {"wang": ["w1", "w2"], "li": ["l1"], "zhou": ["z1"], "zhao": ["d1"]}


@pytest.mark.parametrize(
    ("step_done", "recipient", "channel", "deputy", "expected"),
    [
        (0, "wang", "w1", "zhou", [NoAckStep(1, "wang", "w2")]),
        (1, "wang", "w2", "zhou", [NoAckStep(2, "zhou", "z1")]),
        (0, "li", "l1", None, [NoAckStep(2, "zhao", "d1")]),  # one channel: straight on
        (0, "zhao", "d1", None, []),  # the duty officer's own alert: nobody further
        (2, "zhou", "z1", None, []),
    ],
)
def test_plan_no_ack(
    step_done: int, recipient: str, channel: str, deputy: str | None, expected: list[NoAckStep]
) -> None:
    steps = plan_no_ack(
        step_done=step_done,
        recipient=recipient,
        channel=channel,
        channels_of=CHANNELS,
        deputy=deputy,
        duty=["zhao"],
    )
    assert steps == expected


def test_next_channel() -> None:
    assert [next_channel(["a", "b"], c) for c in ("a", "b", "x")] == ["b", None, None]


@pytest.mark.parametrize(
    ("attempt", "retry_after", "seconds"),
    [(1, None, 2), (2, None, 4), (5, None, 30), (1, 10, 10), (1, 120, 120)],
)
def test_retry_delay_backs_off_and_honours_retry_after(
    attempt: int, retry_after: int | None, seconds: int
) -> None:
    delay = retry_delay(
        attempt,
        base=timedelta(seconds=2),
        cap=timedelta(seconds=30),
        retry_after=None if retry_after is None else timedelta(seconds=retry_after),
    )
    assert delay == timedelta(seconds=seconds)
