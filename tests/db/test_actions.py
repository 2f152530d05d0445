"""The action layer (`tasks.act.record_action`, the body of the `act` task every front runs:
permission from the catalogue → `models.repo` → steps → outbox) on a real database (SQLite and
PostgreSQL), the notices each action causes carried out as the case flow
does and delivered by real Apprise to a local receiver over a moved clock: 签收 stops only the
no-acknowledgement chain, 完成 stops both and moves the stage, 申请延期 waits for an approver,
转办 and 上报 reach the right people once, 升级 shortens deadlines, 降级 is a request decided by
another person holding the approving role, 办结 needs an outcome and 重新打开 follows it; every
refusal names the case, the field or the reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from models.policy.permissions import actions_of
from models.policy.states import EventKind, ObligationStatus
from models.repo.access import Forbidden
from models.repo.cases import CaseError, case_obligations, case_timeline, get_case
from models.repo.changes import Change
from models.store.db import session_scope
from models.store.tables import Obligation
from tasks.act import ActionRequest, record_action
from tasks.runtime import Runtime, context_for, prepare
from tasks.steps import claim, perform_step
from tests.support.configs import OFFICE, write_office_config
from tests.support.escalation import T0, cycle, hook_urls, new_case
from yuqing.actions import form_of
from yuqing.localservers import WebhookReceiver

DUE = T0 + timedelta(minutes=30)  # 一级 quick report
PEOPLE = [pid for pid, *_ in OFFICE]
IDS = {name: pid for pid, name, *_ in OFFICE}


@pytest.fixture
def runtime(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Runtime]:
    config = write_office_config(tmp_path, database_url=database_url, receiver=receiver)
    runtime = prepare(str(config))
    yield runtime
    runtime.engine.dispose()


def act(
    runtime: Runtime,
    action: str,
    case_id: int,
    *,
    actor: str = "王芳",
    at: Any = T0,
    subject: str | None = None,
    **form: str,
) -> Change:
    """One person's action (named by their name, as people say it), as the `act` task records
    it, then its steps carried out as the case flow does; a refusal raised as the front door
    raises it."""
    person = IDS.get(actor, actor)
    request = ActionRequest(action, case_id, person, at, "test", form, subject)
    acted = record_action(runtime, request)
    if acted.change is None:
        raise (Forbidden if acted.kind == "forbidden" else CaseError)(acted.refused)
    change = acted.change
    for step_id, _ in claim(runtime.engine, case_id=case_id, now=at, failed=False):
        perform_step(runtime.engine, context_for(runtime), step_id=step_id, now=at)
    return change


def deliver(runtime: Runtime, receiver: WebhookReceiver, at: Any) -> None:
    cycle(runtime.engine, at, hook_urls(receiver, PEOPLE), ctx=context_for(runtime))


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


def to_dispatched(runtime: Runtime, case_id: int, grade: str = "一级") -> None:
    """Report, assess (the school responsible) and dispatch: a later-stage action's setup."""
    act(runtime, "report", case_id, at=T0 + timedelta(minutes=1))
    act(
        runtime,
        "assess",
        case_id,
        actor="李强",
        at=T0 + timedelta(minutes=2),
        grade=grade,
        category="inquiry",
        units="school",
    )
    act(runtime, "dispatch", case_id, at=T0 + timedelta(minutes=3))


def test_ack_stops_the_no_ack_chain_but_not_the_no_completion_chain(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    deliver(runtime, receiver, DUE)  # level 1: 王芳, 李强, 赵敏
    done = act(runtime, "ack", case_id, at=DUE + timedelta(minutes=5))
    assert (done.obligation_key, done.data["acked_by"]) == ("quick_report", "wangfang")
    deliver(runtime, receiver, DUE + timedelta(minutes=11))  # the 10-min ack window has passed
    assert not any("未签收" in m for p in PEOPLE for m in messages(receiver, p))
    assert messages(receiver, "chenjun") == []
    deliver(runtime, receiver, DUE + timedelta(minutes=15))  # 一级 repeat: level 2 still comes
    (to_chen,) = messages(receiver, "chenjun")
    assert "快报已超时" in to_chen and "第2级" in to_chen
    quick = obligation(runtime, case_id, "quick_report")
    assert (quick.status, quick.acked_by, quick.level) == (ObligationStatus.OPEN, "wangfang", 2)


def test_completing_the_quick_report_reports_it_to_the_grades_targets(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    deliver(runtime, receiver, DUE)
    done = act(
        runtime,
        "complete",
        case_id,
        at=DUE + timedelta(minutes=2),
        subject="quick_report",
        note="已电话报告",
    )
    assert done.data["stage"] == "reported" and "阶段 发现 → 快报" in done.message
    deliver(runtime, receiver, DUE + timedelta(minutes=2))
    # 一级's report targets (default policy): office head, leader in charge, principal leader
    # and duty officer each get the quick report with its mandated fields.
    for person in ("chenjun", "liqiang", "zhaomin"):
        (report,) = [m for m in messages(receiver, person) if "舆情快报" in m]
        assert "网站：" in report and "来源链接：" in report and "等级：一级" in report
    assert not any("舆情快报" in m for m in messages(receiver, "zhangwei"))
    before = {p: len(messages(receiver, p)) for p in PEOPLE}
    deliver(runtime, receiver, DUE + timedelta(minutes=45))  # levels 2 and 3 would be due
    assert not any("事项：快报，" in m for p in PEOPLE for m in messages(receiver, p)[before[p] :])
    quick = obligation(runtime, case_id, "quick_report")
    assert (quick.status, quick.completed_by) == (ObligationStatus.COMPLETED, "wangfang")
    assert any("已电话报告" in message for _, _, message in timeline(runtime, case_id))
    with pytest.raises(CaseError, match="事项“快报”已完成"):
        act(runtime, "complete", case_id, at=DUE, subject="quick_report")


def test_the_contact_sheet_reaches_the_units_two_people_with_their_deadline_and_links(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    to_dispatched(runtime, case_id)
    deliver(runtime, receiver, T0 + timedelta(minutes=3))
    for person in ("zhangwei", "liuyang"):
        (sheet,) = [m for m in messages(receiver, person) if "联系单" in m]
        assert "责任单位：市一中" in sheet and "核查反馈：截止" in sheet
        # No link key in this office: the sheet names the command that does the same.
        assert f"yuqing case complete {case_id} --obligation verification" in sheet
    assert not any("联系单" in m for m in messages(receiver, "wangfang"))
    verification = obligation(runtime, case_id, "verification")
    assert verification.anchor_at == T0 + timedelta(minutes=3)
    assert verification.due_at == T0 + timedelta(minutes=3, hours=3)


def test_completing_verification_needs_its_result_and_moves_the_stage(runtime: Runtime) -> None:
    case_id = new_case(runtime.engine)
    to_dispatched(runtime, case_id)
    with pytest.raises(CaseError, match=r"缺少字段 result（核查结果）"):
        act(runtime, "complete", case_id, actor="张伟", at=DUE, subject="verification")
    done = act(
        runtime,
        "complete",
        case_id,
        actor="张伟",
        at=DUE,
        subject="verification",
        result="经核查，食堂留样正常",
    )
    assert done.data["stage"] == "verified"
    assert (
        EventKind.NOTE,
        "zhangwei",
        "张伟 提交核查反馈结果：核查结果：经核查，食堂留样正常",
    ) in (timeline(runtime, case_id))


def test_completing_out_of_stage_completes_only_that_obligation_and_checks_the_url(
    runtime: Runtime,
) -> None:
    case_id = new_case(runtime.engine)
    fields = form_of(runtime, "complete", case_id=case_id, subject="first_response")
    assert [(f.name, f.kind) for f in fields] == [("url", "url")]
    with pytest.raises(CaseError, match=r"字段 url（回应链接）须是 http\(s\) 链接"):
        act(runtime, "complete", case_id, at=DUE, subject="first_response", url="weibo")
    done = act(
        runtime,
        "complete",
        case_id,
        at=DUE,
        subject="first_response",
        url="https://gov.example/reply/1",
    )
    assert done.data["stage"] == "detected"  # `respond` is not legal from 发现
    assert obligation(runtime, case_id, "first_response").status == ObligationStatus.COMPLETED
    assert obligation(runtime, case_id, "quick_report").status == ObligationStatus.OPEN


def test_an_extension_asks_the_approvers_and_moves_the_due_time_only_on_approval(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    asked = T0 + timedelta(minutes=10)
    until = "2026-11-22 10:30"  # Shanghai: T0 + 90 min
    with pytest.raises(CaseError, match=r"缺少字段 reason（延期理由）"):
        act(runtime, "extend", case_id, at=asked, subject="quick_report", until=until)
    request = act(
        runtime,
        "extend",
        case_id,
        at=asked,
        subject="quick_report",
        until=until,
        reason="等待公安通报",
    )
    number = request.data["request_id"]
    deliver(runtime, receiver, asked)
    (to_li,) = messages(receiver, "liqiang")
    assert f"待审批：延期审批（申请编号 {number}，王芳 申请）" in to_li
    assert obligation(runtime, case_id, "quick_report").due_at == DUE  # not moved yet

    with pytest.raises(Forbidden, match="王芳 无权审批一级案件的延期审批"):  # no approver
        act(runtime, "approve", case_id, at=asked, request=str(number))
    with pytest.raises(Forbidden, match="赵敏 无权审批一级案件的延期审批"):
        act(runtime, "approve", case_id, actor="赵敏", at=asked, request=str(number))
    decided = act(runtime, "approve", case_id, actor="李强", at=asked, request=str(number))
    assert decided.data["status"] == "approved"
    assert obligation(runtime, case_id, "quick_report").due_at == T0 + timedelta(minutes=90)
    deliver(runtime, receiver, DUE + timedelta(minutes=1))  # the old due time: nothing lapses
    assert not any("快报已超时" in m for p in PEOPLE for m in messages(receiver, p))
    assert any(f"延期审批申请 {number} 已批准（李强）" in m for m in messages(receiver, "wangfang"))
    with pytest.raises(CaseError, match=f"申请 {number} 已由 李强 批准"):
        act(runtime, "reject", case_id, actor="李强", at=asked, request=str(number), reason="x")
    with pytest.raises(CaseError, match="没有申请 999"):
        act(runtime, "approve", case_id, actor="李强", at=asked, request="999")


def test_a_rejected_extension_leaves_the_due_time_and_an_extension_has_a_horizon(
    runtime: Runtime,
) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match="须晚于原时限"):
        act(
            runtime,
            "extend",
            case_id,
            subject="quick_report",
            until="2026-11-22 09:25",
            reason="来不及",
        )
    with pytest.raises(CaseError, match="须在当前时间前后 366 天内"):
        act(
            runtime,
            "extend",
            case_id,
            subject="quick_report",
            until="9999-12-31 00:00",
            reason="来不及",
        )
    request = act(
        runtime,
        "extend",
        case_id,
        subject="quick_report",
        until="2026-11-22 10:30",
        reason="来不及",
    )
    rejected = act(
        runtime,
        "reject",
        case_id,
        actor="李强",
        request=str(request.data["request_id"]),
        reason="快报不可延期",
    )
    assert rejected.data["status"] == "rejected"
    assert obligation(runtime, case_id, "quick_report").due_at == DUE
    assert any(
        kind == EventKind.APPROVAL_DECIDED and "快报不可延期" in message
        for kind, _, message in timeline(runtime, case_id)
    )


def test_reassign_alerts_the_new_person_keeps_the_clock_and_steers_escalation(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match="未知人员 '无名氏'"):
        act(runtime, "reassign", case_id, subject="quick_report", to_person="无名氏", reason="出差")
    done = act(
        runtime,
        "reassign",
        case_id,
        at=T0 + timedelta(minutes=5),
        subject="quick_report",
        to_person="孙力",
        reason="王芳出差",
    )
    assert done.data["assignee"] == "sunli"
    assert obligation(runtime, case_id, "quick_report").due_at == DUE
    deliver(runtime, receiver, T0 + timedelta(minutes=5))
    (to_sun,) = messages(receiver, "sunli")
    assert "转办：王芳 转给 孙力" in to_sun
    escalated = act(
        runtime,
        "escalate",
        case_id,
        actor="孙力",
        at=T0 + timedelta(minutes=6),
        subject="quick_report",
        reason="需要领导协调",
    )
    assert escalated.data["recipients"] == ["sunli", "liqiang", "zhaomin"]  # not 王芳


def test_a_reassigned_obligation_lapses_to_the_assignee_not_the_owner_role(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine)
    act(
        runtime,
        "reassign",
        case_id,
        at=T0 + timedelta(minutes=5),
        subject="quick_report",
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
    done = act(runtime, "escalate", case_id, at=early, subject="quick_report", reason="急")
    assert done.data["level"] == 1
    deliver(runtime, receiver, early)
    assert ["第1级" in m for m in messages(receiver, "liqiang")] == [True]
    deliver(runtime, receiver, DUE)  # level 1's own time: already fired, not sent again
    assert len(messages(receiver, "liqiang")) == 1
    assert not any("到期前提醒" in m for m in messages(receiver, "wangfang"))
    deliver(runtime, receiver, DUE + timedelta(minutes=15))  # level 2 keeps its schedule
    assert len(messages(receiver, "chenjun")) == 1
    act(runtime, "escalate", case_id, at=DUE, subject="quick_report", reason="急")
    with pytest.raises(CaseError, match="已到督办链最高级（第3级）"):
        act(runtime, "escalate", case_id, at=DUE, subject="quick_report", reason="急")
    with pytest.raises(CaseError, match=r"缺少字段 reason（上报理由）"):
        act(runtime, "escalate", case_id, at=DUE, subject="written_report", reason="")


def test_upgrade_shortens_deadlines_and_tells_the_first_level(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    case_id = new_case(runtime.engine, grade="三级")
    at = T0 + timedelta(minutes=10)
    done = act(runtime, "upgrade", case_id, at=at, reason="转发量激增")
    assert (done.data["from"], done.data["to"]) == ("g3", "g2")
    assert obligation(runtime, case_id, "quick_report").due_at == T0 + timedelta(hours=1)
    deliver(runtime, receiver, at)
    for person in ("wangfang", "liqiang", "zhaomin"):
        assert any(
            "【二级舆情】等级上调" in m and "三级 → 二级" in m for m in messages(receiver, person)
        )
    act(runtime, "upgrade", case_id, at=at, reason="上央媒")
    with pytest.raises(CaseError, match="已是最高等级（一级）"):
        act(runtime, "upgrade", case_id, at=at, reason="再升")


def test_downgrade_is_a_request_decided_by_another_person_holding_the_role(
    runtime: Runtime,
) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match=r"缺少字段 reason（降级理由）"):
        act(runtime, "downgrade", case_id, reason=" ")
    with pytest.raises(CaseError, match="降级须低于当前等级 一级"):
        act(runtime, "downgrade", case_id, reason="误判", grade="一级")
    with pytest.raises(CaseError, match="办理人 '路人甲' 不在人员名录中"):
        act(runtime, "downgrade", case_id, actor="路人甲", reason="误判")
    asked = act(runtime, "downgrade", case_id, reason="误判")
    number = str(asked.data["request_id"])
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).grade == "g1"  # nothing changes on a request
    with pytest.raises(Forbidden, match="王芳 无权审批一级案件的降级审批"):
        act(runtime, "approve", case_id, request=number)
    with pytest.raises(Forbidden, match="赵敏 无权审批一级案件的降级审批"):
        act(runtime, "approve", case_id, actor="赵敏", request=number)
    decided = act(runtime, "approve", case_id, actor="李强", request=number)
    assert decided.data["status"] == "approved"
    assert obligation(runtime, case_id, "quick_report").due_at == DUE  # never lengthens
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).grade == "g2"
    grade_change = [m for k, _, m in timeline(runtime, case_id) if k == EventKind.GRADE_CHANGED]
    assert grade_change == [  # the paper quick report is retitled as the g2 bulletin (S1-4§14)
        "王芳：等级 一级 → 二级，理由：误判；时限无需调整；"
        "事项按新等级：“纸质快报送达”改为“书面报告《网上舆情》”"
    ]


def test_close_needs_an_outcome_and_reopen_only_a_closed_case(runtime: Runtime) -> None:
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match="未办结，无需重新打开"):
        act(runtime, "reopen", case_id, reason="新帖")
    with pytest.raises(CaseError, match="案件处于“发现”阶段，不能办结"):
        act(runtime, "close", case_id, outcome="subsided", reason="平息")
    to_dispatched(runtime, case_id)
    act(runtime, "verify", case_id, actor="张伟", result="属实，已整改")
    act(runtime, "draft", case_id, text="已整改")
    act(runtime, "approve", case_id, actor="陈军")
    act(runtime, "respond", case_id, url="https://gov.example/reply/1")
    act(runtime, "track", case_id)
    with pytest.raises(CaseError, match=r"缺少字段 outcome（办结结果）"):
        act(runtime, "close", case_id, reason="平息")
    with pytest.raises(CaseError, match="未知取值 'vanished'"):
        act(runtime, "close", case_id, outcome="vanished", reason="平息")
    closed = act(
        runtime, "close", case_id, at=T0 + timedelta(hours=1), outcome="subsided", reason="平息"
    )
    assert closed.data["stage"] == "closed" and closed.data["outcome"] == "subsided"
    assert "press_conference" in closed.data["cancelled"]
    with session_scope(runtime.engine) as session:
        still_open = session.exec(
            select(Obligation.key).where(
                Obligation.case_id == case_id, Obligation.status == ObligationStatus.OPEN
            )
        ).all()
    assert list(still_open) == ["review"]
    with pytest.raises(CaseError, match="已办结"):
        act(runtime, "close", case_id, outcome="subsided", reason="平息")
    reopened = act(runtime, "reopen", case_id, at=T0 + timedelta(days=1), reason="出现新帖")
    assert reopened.data["stage"] == "tracking"
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).closed_at is None


@pytest.mark.parametrize(
    "perform",
    [
        lambda rt: act(rt, "ack", 999),
        lambda rt: act(rt, "complete", 999, subject="quick_report"),
        lambda rt: act(rt, "upgrade", 999, reason="x"),
        lambda rt: act(rt, "close", 999, outcome="subsided", reason="x"),
        lambda rt: act(rt, "assess", 999, grade="一级", category="inquiry", units="school"),
    ],
    ids=["ack", "complete", "upgrade", "close", "assess"],
)
def test_an_unknown_case_is_refused(runtime: Runtime, perform: Callable[[Runtime], object]) -> None:
    with pytest.raises(CaseError, match="案件 999 不存在"):
        perform(runtime)


def test_a_refused_action_changes_nothing(runtime: Runtime) -> None:
    case_id = new_case(runtime.engine)
    before = timeline(runtime, case_id)
    with pytest.raises(CaseError, match=r"缺少字段 obligation（事项）"):
        act(runtime, "complete", case_id)
    with pytest.raises(CaseError, match="不是本系统登记的单位"):
        act(runtime, "assess", case_id, grade="一级", category="inquiry", units="nowhere")
    assert timeline(runtime, case_id) == before
    assert form_of(runtime, "ack", case_id=case_id, subject=None) == ()


def test_the_catalogue_gives_each_role_its_actions() -> None:
    staff = set(actions_of(["office_staff"]))
    assert {"ack", "complete", "extend", "close", "reopen", "assess", "dispatch", "draft"} <= staff
    assert set(actions_of(["monitor"])) == {"register", "report", "upgrade"}
    assert actions_of(["no_such_role"]) == ()
    assert "dispatch" not in actions_of(["unit_liaison"])


def test_a_statement_is_approved_only_by_the_grades_approver_never_its_drafter(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    serious, lesser = new_case(runtime.engine), new_case(runtime.engine, grade="二级")
    for case_id, grade in ((serious, "一级"), (lesser, "二级")):
        to_dispatched(runtime, case_id, grade)
        act(runtime, "verify", case_id, actor="张伟", result="属实")
    with pytest.raises(CaseError, match="须先完成"):
        act(runtime, "draft", new_case(runtime.engine), text="过早的通稿")
    # 陈军 (office head, and principal leader: an approver of 一级 statements) drafts it.
    drafted = T0 + timedelta(minutes=9)
    asked = act(runtime, "draft", serious, actor="陈军", text="已整改", at=drafted)
    deliver(runtime, receiver, T0 + timedelta(minutes=9))
    # 一级's statement approvers (S1-4 §21 in the default policy): principal leader, group head.
    told = {p for p in PEOPLE if any("待审批：通稿审定" in m for m in messages(receiver, p))}
    assert told == {"chenjun", "sunli"}
    with pytest.raises(CaseError, match="不能由申请人 陈军 本人审批"):
        act(runtime, "approve", serious, actor="陈军")
    with pytest.raises(Forbidden, match="王芳 无权审批一级案件的通稿审定"):
        act(runtime, "approve", serious)
    with pytest.raises(Forbidden, match="李强 无权审批一级案件的通稿审定"):
        act(runtime, "approve", serious, actor="李强")  # an approver of 二级 and 三级 only
    approved = act(runtime, "approve", serious, actor="孙力", note="同意")
    assert approved.data["stage"] == "statement_approved"
    act(runtime, "draft", lesser, text="已整改")
    assert act(runtime, "approve", lesser, actor="李强").data["status"] == "approved"
    with session_scope(runtime.engine) as session:
        assert get_case(session, serious).stage.value == "statement_approved"
    request = str(asked.data["request_id"])
    with pytest.raises(CaseError, match=f"申请 {request} 已由 孙力 批准"):
        act(runtime, "reject", serious, actor="孙力", request=request, reason="晚了")
