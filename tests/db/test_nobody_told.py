"""Tell nobody, never, at run time, on both backends: under S1-13 a 红色 case's quick report goes
to 市委 (party_committee); with nobody holding that role the case flow's step is not marked
done: carrying it out fails with the reason in words, nothing is queued, and once the failure is
recorded (as the flow records a step that failed after its retries) the case is on the stuck
list with that reason. An escalation level whose roles nobody holds cannot fail its sweep: it
is on the timeline as told to nobody and keeps the case stuck while its obligation is open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from models.policy import StageEvent, WorkCalendar
from models.policy.notices import Notice, NoticeKind
from models.repo.directory import sync_directory
from models.repo.opening import open_case
from models.repo.steps import add_steps
from models.repo.stuck import StuckReason, find_stuck
from models.store.db import session_scope
from models.store.presets import default_policy, load_preset
from models.store.tables import CaseEvent, CaseStep, Notification
from notifications.nobody import NobodyToTell
from notifications.outbox.context import DeliveryContext
from settings import PersonConfig, UnitConfig
from tasks.escalation import sweep
from tasks.steps import perform_step, record_failure
from tests.support.escalation import T0

S1_13 = load_preset("s1-13")
REASON = "红色预警的报送对象 市委（党委） 无人担任"


def office(engine: Engine, roles: dict[str, list[str]]) -> None:
    people = [
        PersonConfig(id=p, name=p, unit="o", roles=r, channels=[f"{p}_hook"])
        for p, r in roles.items()
    ]
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=people)


def red_case(engine: Engine) -> int:
    with session_scope(engine) as session:
        case = open_case(
            session, title="某地网民聚集", grade="红色", policy=S1_13,
            calendar=WorkCalendar.default(), discovered_at=T0,
        )  # fmt: skip
        assert case.id is not None
        return case.id


def test_a_quick_report_to_nobody_fails_with_the_reason_and_the_case_is_stuck(
    engine: Engine,
) -> None:
    office(engine, {"wang": ["office_staff"], "li": ["leader_in_charge"]})
    case_id = red_case(engine)
    notice = Notice(
        kind=NoticeKind.QUICK_REPORT, occasion="report", headline="舆情快报", case_id=case_id,
        roles=S1_13.notify_roles(StageEvent.report, "red"),
    )  # fmt: skip
    with session_scope(engine) as session:
        step_id = add_steps(session, case_id=case_id, notices=[notice], at=T0)[0].id
    assert step_id is not None
    with pytest.raises(NobodyToTell) as refused:
        perform_step(engine, DeliveryContext(policy=S1_13), step_id=step_id, now=T0)
    assert refused.value.reason == REASON
    with session_scope(engine) as session:
        step = session.get(CaseStep, step_id)
        assert step is not None and step.status != "done"  # never marked done
        assert session.exec(select(Notification)).all() == []
    record_failure(engine, step_id=step_id, now=T0, error=str(refused.value))
    with session_scope(engine) as session:
        stuck = find_stuck(session, now=T0, policy=S1_13, case_ids=[case_id])
    assert [f.reason for f in stuck[0].findings] == [StuckReason.STEP_FAILED]
    assert REASON in stuck[0].findings[0].detail


def test_an_escalation_level_nobody_holds_is_on_the_timeline_and_keeps_the_case_stuck(
    engine: Engine,
) -> None:
    policy = default_policy()
    office(engine, {"wang": ["office_staff"]})  # no leader, duty officer … at the higher levels
    with session_scope(engine) as session:
        case = open_case(
            session, title="食堂投诉", grade="一级", policy=policy,
            calendar=WorkCalendar.default(), discovered_at=T0,
        )  # fmt: skip
        case_id = case.id
    assert case_id is not None
    ctx = DeliveryContext(policy=policy)
    sweep(engine, now=T0 + timedelta(hours=2), ctx=ctx, batch_size=50)
    with session_scope(engine) as session:
        told = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()
        nobody = [e for e in told if e.data.get("nobody")]
        stuck = find_stuck(session, now=T0 + timedelta(hours=2), policy=policy, case_ids=[case_id])
    assert nobody and all("无人可通知" in e.message for e in nobody)
    assert any("第2级催办对象 主要领导、办公室负责人 无人担任" in e.data["reason"] for e in nobody)
    found = [f for f in stuck[0].findings if f.reason is StuckReason.NOBODY]
    assert found and all("无人担任" in f.detail for f in found)
