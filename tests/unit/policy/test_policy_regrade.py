"""Regrading mid-case: open deadlines become min(current due, anchor + new duration), never
later; obligations that only exist at the new grade are returned to be opened."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models.policy import (
    DueTime,
    OpenObligation,
    Policy,
    WorkCalendar,
    due_at,
    plan_regrade,
)
from tests.unit.policy.policy_support import local

DISCOVERED = local("2026-03-02 09:00")
RECEIVED = local("2026-03-02 10:00")


def _open(policy: Policy, grade: str, cal: WorkCalendar) -> tuple[OpenObligation, ...]:
    anchors = {
        "quick_report": DISCOVERED,
        "first_response": DISCOVERED,
        "authoritative_info": DISCOVERED,
        "verification": RECEIVED,
        "handling_completed": RECEIVED,
    }
    tz = ZoneInfo(policy.timezone)
    return tuple(
        OpenObligation(k, at, due_at(policy.rule(grade, k), at, calendar=cal, tz=tz))
        for k, at in anchors.items()
    )


def test_third_to_first_grade_shortens_what_must_shorten(policy: Policy, cal: WorkCalendar) -> None:
    plan = plan_regrade(policy, "三级", "一级", _open(policy, "g3", cal), calendar=cal)
    new = {c.key: c.new.at for c in plan.changes}
    assert new == {
        "quick_report": local("2026-03-02 09:30"),  # 2 h → 30 min
        "first_response": local("2026-03-02 12:00"),  # 24 h → 3 h
        "authoritative_info": local("2026-03-02 14:00"),  # 48 h → 5 h
        "verification": local("2026-03-02 13:00"),  # 1 working day → 3 h
        "handling_completed": local("2026-03-10 00:00"),  # 5 working days at both grades
    }
    assert {c.key for c in plan.changes if c.shortened} == {
        "quick_report",
        "first_response",
        "authoritative_info",
        "verification",
    }
    assert [r.key for r in plan.to_open] == ["written_report", "press_conference", "review"]
    assert (plan.from_grade, plan.to_grade) == ("g3", "g1")


def test_regrade_never_lengthens(policy: Policy, cal: WorkCalendar) -> None:
    opened = _open(policy, "g1", cal)
    plan = plan_regrade(policy, "一级", "三级", opened, calendar=cal)
    assert all(c.new == c.old for c in plan.changes)
    assert plan.to_open == ()


def test_overdue_obligation_stays_overdue(policy: Policy, cal: WorkCalendar) -> None:
    late = OpenObligation("quick_report", DISCOVERED, DueTime(local("2026-03-02 09:20")))
    plan = plan_regrade(policy, "g3", "g1", (late,), calendar=cal)
    assert plan.changes[0].new.at == local("2026-03-02 09:20")


def test_known_obligations_are_not_opened_again(policy: Policy, cal: WorkCalendar) -> None:
    plan = plan_regrade(
        policy, "g3", "g1", (), calendar=cal, known_keys=frozenset({"written_report"})
    )
    assert "written_report" not in [r.key for r in plan.to_open]
