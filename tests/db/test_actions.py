"""The action layer (`yuqing.actions`) on a real database (SQLite and PostgreSQL), with the alerts
it causes delivered by real Apprise to a local receiver over a moved clock: 签收 stops only the
no-acknowledgement chain, 完成 stops both and moves the stage, 申请延期 waits for the approver,
转办 and 上报 reach the right people once, 升级/降级 move deadlines one way only, 办结 and 重新打开
follow the template; and every refusal names the case, the field or the reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from models.policy.states import EventKind, ObligationStatus
from models.repo.cases import CaseError, case_obligations, case_timeline, get_case
from models.repo.lifecycle import advance
from models.store.db import session_scope
from models.store.tables import Obligation
from tasks.runtime import Runtime, prepare
from tests.support.configs import write_office_config
from tests.support.escalation import T0, cycle, hook_urls, new_case
from yuqing import actions
from yuqing.actions import Action
from yuqing.localservers import WebhookReceiver

DUE = T0 + timedelta(minutes=30)  # 一级 quick report
PEOPLE = ["wangfang", "liqiang", "zhaomin", "chenjun", "sunli"]


@pytest.fixture
def runtime(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Runtime]:
    config = write_office_config(tmp_path, database_url=database_url, receiver=receiver)
    runtime = prepare(str(config))
    yield runtime
    runtime.engine.dispose()


def deliver(runtime: Runtime, receiver: WebhookReceiver, at: Any) -> None:
    cycle(runtime.engine, at, hook_urls(receiver, PEOPLE))


def messages(receiver: WebhookReceiver, person: str) -> list[str]:
    """What one person's channel received (title and text), in order."""
    return [
        r.json()["title"] + "\n" + r.json()["message"]
        for r in receiver.received
        if r.path == f"/hook/{person}"
    ]


def obligation(runtime: Runtime, case_id: int, key: str) -> Obligation:
    with session_scope(runtime.engine) as session:
        return next(o for o in case_obligations(session, case_id) if o.key == key)


def timeline(runtime: Runtime, case_id: int) -> list[tuple[EventKind, str, str]]:
    with session_scope(runtime.engine) as session:
        return [(e.kind, e.actor, e.message) for e in case_timeline(session, case_id)]


def walk(runtime: Runtime, case_id: int, *events: str) -> None:
    """Move the case through stage events (the setup of a later-stage action)."""
    for n, event in enumerate(events):
        with session_scope(runtime.engine) as session:
            advance(
                session,
                case_id=case_id,
                event=event,
                actor="王芳",
                at=T0 + timedelta(minutes=1 + n),
                policy=runtime.policy,
                calendar=runtime.calendar,
            )


def test_ack_stops_the_no_ack_chain_but_not_the_no_completion_chain(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    deliver(runtime, receiver, DUE)  # level 1: 王芳, 李强, 赵敏
    done = actions.acknowledge(
        runtime, case_id=case_id, actor="王芳", at=DUE + timedelta(minutes=5)
    )
    assert (done.obligation_key, done.data["acked_by"]) == ("quick_report", "王芳")
    deliver(runtime, receiver, DUE + timedelta(minutes=11))  # the 10-min ack window has passed
    assert not any("未签收" in m for p in PEOPLE for m in messages(receiver, p))
    assert messages(receiver, "chenjun") == []
    deliver(runtime, receiver, DUE + timedelta(minutes=15))  # 一级 repeat: level 2 still comes
    (to_chen,) = messages(receiver, "chenjun")
    assert "快报已超时" in to_chen and "第2级" in to_chen
    quick = obligation(runtime, case_id, "quick_report")
    assert (quick.status, quick.acked_by, quick.level) == (ObligationStatus.OPEN, "王芳", 2)


def test_complete_applies_the_stage_event_and_stops_both_chains(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    deliver(runtime, receiver, DUE)
    done = actions.complete(
        runtime,
        case_id=case_id,
        obligation_key="quick_report",
        actor="王芳",
        at=DUE + timedelta(minutes=2),
        result={"note": "已电话报告"},
    )
    assert done.data["stage"] == "reported" and "阶段 发现 → 快报" in done.message
    before = {p: len(messages(receiver, p)) for p in PEOPLE}
    deliver(runtime, receiver, DUE + timedelta(minutes=45))  # levels 2 and 3 would be due
    assert not any("事项：快报，" in m for p in PEOPLE for m in messages(receiver, p)[before[p] :])
    quick = obligation(runtime, case_id, "quick_report")
    assert (quick.status, quick.completed_by) == (ObligationStatus.COMPLETED, "王芳")
    assert any("已电话报告" in message for _, _, message in timeline(runtime, case_id))
    with pytest.raises(CaseError, match="事项 'quick_report' 已完成"):
        actions.complete(
            runtime, case_id=case_id, obligation_key="quick_report", actor="王芳", at=DUE, result={}
        )


def test_completing_verification_needs_its_result_and_puts_it_on_the_timeline(
    runtime: Runtime,
) -> None:
    case_id = new_case(runtime.engine)
    walk(runtime, case_id, "report", "assess", "dispatch")
    with pytest.raises(CaseError, match=r"缺少字段 result（核查结果）"):
        actions.complete(
            runtime, case_id=case_id, obligation_key="verification", actor="张伟", at=DUE, result={}
        )
    done = actions.complete(
        runtime,
        case_id=case_id,
        obligation_key="verification",
        actor="张伟",
        at=DUE,
        result={"result": "经核查，食堂留样正常"},
    )
    assert done.data["stage"] == "verified"
    assert (EventKind.NOTE, "张伟", "张伟 提交核查反馈结果：核查结果：经核查，食堂留样正常") in (
        timeline(runtime, case_id)
    )


def test_completing_out_of_stage_completes_only_that_obligation_and_checks_the_url(
    runtime: Runtime,
) -> None:
    case_id = new_case(runtime.engine)
    fields = actions.form_fields(
        runtime, Action.COMPLETE, case_id=case_id, obligation_key="first_response"
    )
    assert [(f.name, f.kind) for f in fields] == [("url", "url")]
    with pytest.raises(CaseError, match=r"字段 url（回应链接）须是 http\(s\) 链接"):
        actions.complete(
            runtime,
            case_id=case_id,
            obligation_key="first_response",
            actor="王芳",
            at=DUE,
            result={"url": "weibo"},
        )
    done = actions.complete(
        runtime,
        case_id=case_id,
        obligation_key="first_response",
        actor="王芳",
        at=DUE,
        result={"url": "https://gov.example/reply/1"},
    )
    assert done.data["stage"] == "detected"  # `respond` is not legal from 发现
    assert obligation(runtime, case_id, "first_response").status == ObligationStatus.COMPLETED
    assert obligation(runtime, case_id, "quick_report").status == ObligationStatus.OPEN


def test_an_extension_alerts_the_approver_and_moves_the_due_time_only_on_approval(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    asked = T0 + timedelta(minutes=10)
    until = T0 + timedelta(minutes=90)
    with pytest.raises(CaseError, match=r"缺少字段 reason（延期理由）"):
        actions.request_extension(
            runtime,
            case_id=case_id,
            obligation_key="quick_report",
            actor="王芳",
            at=asked,
            until=until,
            reason=" ",
        )
    request = actions.request_extension(
        runtime,
        case_id=case_id,
        obligation_key="quick_report",
        actor="王芳",
        at=asked,
        until=until,
        reason="等待公安通报",
    )
    request_id = request.data["request_id"]
    assert request.data["approvers"] == ["liqiang"]  # no approver role: the leader in charge
    deliver(runtime, receiver, asked)
    (to_li,) = messages(receiver, "liqiang")
    assert f"延期申请待审批（编号 {request_id}）" in to_li
    assert obligation(runtime, case_id, "quick_report").due_at == DUE  # not moved yet

    with pytest.raises(CaseError, match="不能由申请人 王芳 本人审批"):
        actions.decide_extension(
            runtime, case_id=case_id, request_id=request_id, approver="王芳", at=asked, approve=True
        )
    decided = actions.decide_extension(
        runtime, case_id=case_id, request_id=request_id, approver="李强", at=asked, approve=True
    )
    assert decided.data["status"] == "approved"
    assert obligation(runtime, case_id, "quick_report").due_at == until
    deliver(runtime, receiver, DUE + timedelta(minutes=1))  # the old due time: nothing lapses
    assert not any("快报已超时" in m for p in PEOPLE for m in messages(receiver, p))
    with pytest.raises(CaseError, match=f"延期申请 {request_id} 已由 李强 批准"):
        actions.decide_extension(
            runtime,
            case_id=case_id,
            request_id=request_id,
            approver="李强",
            at=asked,
            approve=False,
        )
    with pytest.raises(CaseError, match="没有延期申请 999"):
        actions.decide_extension(
            runtime, case_id=case_id, request_id=999, approver="李强", at=asked, approve=True
        )


def test_a_rejected_extension_leaves_the_due_time(runtime: Runtime) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match="须晚于原时限"):
        actions.request_extension(
            runtime,
            case_id=case_id,
            obligation_key="quick_report",
            actor="王芳",
            at=T0,
            until=DUE - timedelta(minutes=5),
            reason="来不及",
        )
    request = actions.request_extension(
        runtime,
        case_id=case_id,
        obligation_key="quick_report",
        actor="王芳",
        at=T0,
        until=DUE + timedelta(hours=1),
        reason="来不及",
    )
    rejected = actions.decide_extension(
        runtime,
        case_id=case_id,
        request_id=request.data["request_id"],
        approver="李强",
        at=T0,
        approve=False,
        note="快报不可延期",
    )
    assert rejected.data["status"] == "rejected" and rejected.data["due_at"] == DUE
    assert any(
        kind == EventKind.APPROVAL_DECIDED and "快报不可延期" in message
        for kind, _, message in timeline(runtime, case_id)
    )


def test_reassign_alerts_the_new_person_keeps_the_clock_and_steers_escalation(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match="未知人员 '无名氏'"):
        actions.reassign(
            runtime,
            case_id=case_id,
            obligation_key="quick_report",
            actor="王芳",
            at=T0,
            to_person="无名氏",
            reason="出差",
        )
    done = actions.reassign(
        runtime,
        case_id=case_id,
        obligation_key="quick_report",
        actor="王芳",
        at=T0 + timedelta(minutes=5),
        to_person="孙力",
        reason="王芳出差",
    )
    assert done.data["assignee"] == "sunli"
    assert obligation(runtime, case_id, "quick_report").due_at == DUE
    deliver(runtime, receiver, T0 + timedelta(minutes=5))
    (to_sun,) = messages(receiver, "sunli")
    assert "转办：王芳 转给 孙力" in to_sun
    escalated = actions.escalate_now(
        runtime,
        case_id=case_id,
        obligation_key="quick_report",
        actor="孙力",
        at=T0 + timedelta(minutes=6),
        reason="需要领导协调",
    )
    assert escalated.data["recipients"] == ["sunli", "liqiang", "zhaomin"]  # not 王芳


def test_a_reassigned_obligation_lapses_to_the_assignee_not_the_owner_role(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    actions.reassign(
        runtime,
        case_id=case_id,
        obligation_key="quick_report",
        actor="王芳",
        at=T0 + timedelta(minutes=5),
        to_person="孙力",
        reason="王芳出差",
    )
    deliver(runtime, receiver, T0 + timedelta(minutes=5))
    before = {person: len(messages(receiver, person)) for person in PEOPLE}
    deliver(runtime, receiver, DUE)  # the sweep's level 1: owner (now 孙力), leader, duty
    got = {person: len(messages(receiver, person)) - before[person] for person in PEOPLE}
    assert got["sunli"] >= 1 and got["liqiang"] >= 1 and got["zhaomin"] >= 1
    assert got["wangfang"] == 0


def test_escalate_now_climbs_one_level_once_and_stops_at_the_top(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    early = T0 + timedelta(minutes=5)
    done = actions.escalate_now(
        runtime, case_id=case_id, obligation_key="quick_report", actor="王芳", at=early, reason="急"
    )
    assert done.data["level"] == 1
    deliver(runtime, receiver, early)
    assert ["第1级" in m for m in messages(receiver, "liqiang")] == [True]
    deliver(runtime, receiver, DUE)  # level 1's own time: already fired, not sent again
    assert len(messages(receiver, "liqiang")) == 1
    assert not any("到期前提醒" in m for m in messages(receiver, "wangfang"))
    deliver(runtime, receiver, DUE + timedelta(minutes=15))  # level 2 keeps its schedule
    assert len(messages(receiver, "chenjun")) == 1
    actions.escalate_now(
        runtime, case_id=case_id, obligation_key="quick_report", actor="王芳", at=DUE, reason="急"
    )
    with pytest.raises(CaseError, match="已到督办链最高级（第3级）"):
        actions.escalate_now(
            runtime,
            case_id=case_id,
            obligation_key="quick_report",
            actor="王芳",
            at=DUE,
            reason="急",
        )
    with pytest.raises(CaseError, match=r"缺少字段 reason（上报理由）"):
        actions.escalate_now(
            runtime, case_id=case_id, obligation_key="written_report", actor="王", at=DUE, reason=""
        )


def test_upgrade_shortens_deadlines_and_tells_the_first_level(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine, grade="三级")
    at = T0 + timedelta(minutes=10)
    done = actions.upgrade(runtime, case_id=case_id, actor="王芳", at=at, reason="转发量激增")
    assert (done.data["from"], done.data["to"]) == ("g3", "g2")
    assert obligation(runtime, case_id, "quick_report").due_at == T0 + timedelta(hours=1)
    deliver(runtime, receiver, at)
    for person in ("wangfang", "liqiang", "zhaomin"):
        assert any("案件升级：三级 → 二级" in m for m in messages(receiver, person))
    actions.upgrade(runtime, case_id=case_id, actor="王芳", at=at, reason="上央媒")
    with pytest.raises(CaseError, match="已是最高等级（一级）"):
        actions.upgrade(runtime, case_id=case_id, actor="王芳", at=at, reason="再升")


def test_downgrade_needs_another_persons_consent_and_never_lengthens(runtime: Runtime) -> None:
    case_id = new_case(runtime.engine)

    def down(approver: str, grade: str | None = None) -> actions.ActionResult:
        return actions.downgrade(
            runtime,
            case_id=case_id,
            actor="王芳",
            at=T0,
            reason="误判",
            approver=approver,
            grade=grade,
        )

    with pytest.raises(CaseError, match=r"缺少字段 approver（审批人）"):
        down("")
    with pytest.raises(CaseError, match="审批人不能是申请人 王芳 本人"):
        down("王芳")
    with pytest.raises(CaseError, match="降级须低于当前等级 一级"):
        down("李强", grade="一级")
    assert down("李强").data["to"] == "g2"
    assert obligation(runtime, case_id, "quick_report").due_at == DUE
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).grade == "g2"


def test_close_follows_the_template_and_reopen_only_a_closed_case(runtime: Runtime) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match="未办结，无需重新打开"):
        actions.reopen(runtime, case_id=case_id, actor="王芳", at=T0, reason="新帖")
    with pytest.raises(CaseError, match="不允许事件“close”"):
        actions.close(runtime, case_id=case_id, actor="王芳", at=T0)
    walk(runtime, case_id, "report", "assess", "dispatch", "verify", "approve_statement")
    walk(runtime, case_id, "respond", "track")
    closed = actions.close(
        runtime, case_id=case_id, actor="王芳", at=T0 + timedelta(hours=1), reason="平息"
    )
    assert closed.data["stage"] == "closed"
    assert "press_conference" in closed.data["cancelled"]
    with session_scope(runtime.engine) as session:
        still_open = session.exec(
            select(Obligation.key).where(
                Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
            )
        ).all()
    assert list(still_open) == ["review"]
    with pytest.raises(CaseError, match="已办结"):
        actions.close(runtime, case_id=case_id, actor="王芳", at=T0 + timedelta(hours=1))
    reopened = actions.reopen(
        runtime, case_id=case_id, actor="王芳", at=T0 + timedelta(days=1), reason="出现新帖"
    )
    assert reopened.data["stage"] == "tracking"
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).closed_at is None


@pytest.mark.parametrize(
    "act",
    [
        lambda rt: actions.acknowledge(rt, case_id=999, actor="王芳", at=T0),
        lambda rt: actions.complete(
            rt, case_id=999, obligation_key="quick_report", actor="王芳", at=T0, result={}
        ),
        lambda rt: actions.upgrade(rt, case_id=999, actor="王芳", at=T0, reason="x"),
        lambda rt: actions.close(rt, case_id=999, actor="王芳", at=T0),
    ],
    ids=["ack", "complete", "upgrade", "close"],
)
def test_an_unknown_case_is_refused(runtime: Runtime, act: Callable[[Runtime], object]) -> None:
    with pytest.raises(CaseError, match="案件 999 不存在"):
        act(runtime)


def test_perform_validates_the_form_before_acting(runtime: Runtime) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match=r"缺少字段 reason（延期理由）"):
        actions.perform(
            runtime,
            Action.EXTEND,
            case_id=case_id,
            obligation_key="quick_report",
            actor="王芳",
            at=T0,
            form={"until": "2026-11-22 18:00"},
        )
    with pytest.raises(CaseError, match=r"缺少字段 obligation（事项）"):
        actions.perform(
            runtime,
            Action.COMPLETE,
            case_id=case_id,
            obligation_key=None,
            actor="王芳",
            at=T0,
            form={},
        )
    done = actions.perform(
        runtime,
        Action.EXTEND,
        case_id=case_id,
        obligation_key="quick_report",
        actor="王芳",
        at=T0,
        form={"until": "2026-11-22 18:00", "reason": "等待通报"},  # Shanghai time: 10:00 UTC
    )
    assert done.data["until"] == T0 + timedelta(hours=9)
    assert actions.form_fields(runtime, Action.ACK, case_id=case_id, obligation_key=None) == ()


def test_allowed_actions_follow_the_roles(runtime: Runtime) -> None:
    staff = actions.allowed_actions(runtime, ["office_staff"])
    assert {"ack", "complete", "extend", "close", "reopen"} <= staff
    assert not staff & {"decide_extension", "downgrade"}
    assert {"decide_extension", "downgrade"} <= actions.allowed_actions(runtime, ["approver"])
    assert actions.allowed_actions(runtime, ["monitor"]) == {"register", "upgrade"}
    assert actions.allowed_actions(runtime, ["no_such_role"]) == frozenset()
