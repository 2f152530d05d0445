"""The policy engine wired into stored cases: stage events open, satisfy and refuse as the
transition table says; a regrade only ever shortens open deadlines and records the diff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from models.policy import IllegalTransition, PolicyError, WorkCalendar
from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import case_obligations, case_timeline, get_case
from models.repo.lifecycle import advance
from models.repo.opening import open_case
from models.repo.regrade import regrade
from models.store.db import session_scope
from models.store.presets import default_policy

T0 = datetime(2026, 9, 29, 1, 0, tzinfo=UTC)  # Tue 09:00 Shanghai, before National Day
POLICY = default_policy()
CAL = WorkCalendar.default()


def new_case(engine: Engine, grade: str) -> int:
    with session_scope(engine) as session:
        case = open_case(
            session,
            title="某中学食堂投诉",
            grade=grade,
            policy=POLICY,
            calendar=CAL,
            discovered_at=T0,
        )
        assert case.id is not None
        return case.id


def event(engine: Engine, case_id: int, name: str, at: datetime) -> None:
    with session_scope(engine) as session:
        advance(
            session, case_id=case_id, event=name, actor="王芳", at=at, policy=POLICY, calendar=CAL
        )


def dues(engine: Engine, case_id: int) -> dict[str, tuple[datetime, ObligationStatus]]:
    with session_scope(engine) as session:
        return {o.key: (o.due_at, o.status) for o in case_obligations(session, case_id)}


def test_stage_events_open_and_satisfy_obligations(engine: Engine) -> None:
    case_id = new_case(engine, "一级")
    event(engine, case_id, "report", T0 + timedelta(minutes=20))
    assert dues(engine, case_id)["quick_report"][1] == ObligationStatus.COMPLETED
    assessed = T0 + timedelta(hours=1)
    event(engine, case_id, "assess", assessed)
    assert dues(engine, case_id)["contact_sheet"] == (
        assessed + timedelta(minutes=30),
        ObligationStatus.OPEN,
    )
    dispatched = T0 + timedelta(hours=1, minutes=10)
    event(engine, case_id, "dispatch", dispatched)
    after = dues(engine, case_id)
    assert after["contact_sheet"][1] == ObligationStatus.COMPLETED
    assert after["verification"][0] == dispatched + timedelta(hours=3)
    # 5 working days from Tue 2026-09-29 skip National Day (10-01..10-07) and count the
    # make-up Saturday 10-10: due at 24:00 of Mon 10-12 in Shanghai.
    assert after["handling_completed"][0] == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        assert get_case(session, case_id).stage.value == "dispatched"


def test_an_illegal_event_is_refused_and_changes_nothing(engine: Engine) -> None:
    case_id = new_case(engine, "二级")
    before = dues(engine, case_id)
    with pytest.raises(IllegalTransition):
        event(engine, case_id, "verify", T0 + timedelta(minutes=5))
    with session_scope(engine) as session:
        assert get_case(session, case_id).stage.value == "detected"
        kinds = [e.kind for e in case_timeline(session, case_id)]
    assert EventKind.STAGE_CHANGED not in kinds
    assert dues(engine, case_id) == before


def test_upgrade_mid_case_shortens_and_never_lengthens(engine: Engine) -> None:
    case_id = new_case(engine, "三级")
    before = dues(engine, case_id)
    with session_scope(engine) as session:
        regrade(
            session,
            case_id=case_id,
            grade="一级",
            actor=None,
            reason="点击量超过3000",
            at=T0 + timedelta(minutes=20),
            policy=POLICY,
            calendar=CAL,
        )
    after = dues(engine, case_id)
    assert after["quick_report"][0] == T0 + timedelta(minutes=30)  # was 2 h
    assert after["first_response"][0] == T0 + timedelta(hours=3)  # was 24 h
    assert after["written_report"][0] == T0 + timedelta(hours=1)  # exists only at 一级
    for key, (due, _) in before.items():
        assert after[key][0] <= due, key
    with session_scope(engine) as session:
        assert get_case(session, case_id).grade == "g1"
        change = next(
            e for e in case_timeline(session, case_id) if e.kind == EventKind.GRADE_CHANGED
        )
    assert "三级 → 一级" in change.message and "快报" in change.message
    assert {m["obligation"] for m in change.data["moved"]} >= {"quick_report", "first_response"}


def test_upgrade_after_closure_opens_the_review_from_the_closure_time(engine: Engine) -> None:
    case_id = new_case(engine, "三级")  # 三级 has no review (总结评估)
    for n, name in enumerate(["report", "assess", "dispatch", "verify", "approve_statement"]):
        event(engine, case_id, name, T0 + timedelta(minutes=10 * (n + 1)))
    for n, name in enumerate(["respond", "track", "close"]):
        event(engine, case_id, name, T0 + timedelta(hours=2 + n))
    closed = T0 + timedelta(hours=4)
    assert "review" not in dues(engine, case_id)
    with session_scope(engine) as session:
        regrade(
            session,
            case_id=case_id,
            grade="一级",
            actor="陈军",
            reason="结案后仍被央媒转载",
            at=closed + timedelta(hours=20),
            policy=POLICY,
            calendar=CAL,
        )
    # 3 working days counted from the closure (Tue 09-29 13:00 Shanghai), not from now:
    # 09-30, then National Day (10-01..10-07), then 10-08 and 10-09: due at 24:00 of 10-09.
    assert dues(engine, case_id)["review"] == (
        datetime(2026, 10, 9, 16, 0, tzinfo=UTC),
        ObligationStatus.OPEN,
    )


def test_downgrade_needs_an_approver_and_lengthens_nothing(engine: Engine) -> None:
    case_id = new_case(engine, "一级")
    with pytest.raises(PolicyError, match="审批人"), session_scope(engine) as session:
        regrade(
            session,
            case_id=case_id,
            grade="三级",
            actor="王芳",
            reason="误报",
            at=T0,
            policy=POLICY,
            calendar=CAL,
        )
    before = dues(engine, case_id)
    with session_scope(engine) as session:
        regrade(
            session,
            case_id=case_id,
            grade="三级",
            actor="王芳",
            reason="核实为误报",
            approver="陈军",
            at=T0 + timedelta(minutes=5),
            policy=POLICY,
            calendar=CAL,
        )
    assert dues(engine, case_id) == before
