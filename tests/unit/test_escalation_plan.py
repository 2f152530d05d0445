"""Pure escalation planning: which chain levels fire when, catch-up after downtime, recipients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.policy import ChainLevel, EscalationRule
from models.policy.escalation import format_late, plan_escalation, recipients

DUE = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
REPEAT = timedelta(minutes=15)
RULE = EscalationRule(ack_window=timedelta(minutes=10), repeat_interval=REPEAT)
CHAIN = tuple(ChainLevel(level=n, roles=("owner",), label=f"L{n}") for n in (1, 2, 3))


@pytest.mark.parametrize(
    ("minutes_after_due", "fired", "levels", "next_check"),
    [
        pytest.param(-1, 0, [], DUE, id="before-due-nothing-fires"),
        pytest.param(0, 0, [1], DUE + REPEAT, id="at-due-level-1"),
        pytest.param(14, 1, [], DUE + REPEAT, id="level-1-already-fired"),
        pytest.param(15, 1, [2], DUE + 2 * REPEAT, id="one-repeat-level-2"),
        pytest.param(100, 0, [1, 2, 3], None, id="catch-up-after-downtime-fires-all"),
        pytest.param(100, 3, [], None, id="chain-exhausted"),
    ],
)
def test_plan_escalation(
    minutes_after_due: int, fired: int, levels: list[int], next_check: datetime | None
) -> None:
    now = DUE + timedelta(minutes=minutes_after_due)
    plan = plan_escalation(due_at=DUE, fired_level=fired, rule=RULE, chain=CHAIN, now=now)
    assert [step.level for step in plan.steps] == levels
    assert plan.next_check_at == next_check


def test_catch_up_marks_how_late_each_level_is() -> None:
    plan = plan_escalation(
        due_at=DUE, fired_level=0, rule=RULE, chain=CHAIN, now=DUE + timedelta(hours=2)
    )
    assert [step.late_by for step in plan.steps] == [
        timedelta(hours=2),
        timedelta(minutes=105),
        timedelta(minutes=90),
    ]


def test_recipients_in_role_order_each_once() -> None:
    holders = {"office_staff": ["wang"], "duty_officer": ["zhao", "wang"], "leader": ["li"]}
    assert recipients(("office_staff", "leader", "duty_officer"), holders=holders) == [
        "wang",
        "li",
        "zhao",
    ]
    assert recipients(("nobody",), holders=holders) == []


@pytest.mark.parametrize(
    ("late", "zh", "en"),
    [
        (timedelta(seconds=59), "0分钟", "0 min"),
        (timedelta(minutes=61), "1小时1分钟", "1 h 1 min"),
    ],
)
def test_format_late(late: timedelta, zh: str, en: str) -> None:
    assert format_late(late) == zh
    assert format_late(late, language="en") == en
