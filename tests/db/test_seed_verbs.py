"""The verbs the seeds prescribe beyond the stages (issue 19), through the action layer on a real
database (SQLite and PostgreSQL), their notices delivered by real Apprise to a local receiver
over a moved clock: 不需要 resolves an optional obligation with a reason (no overdue record, no
escalation), 批示 is recorded and relayed to the responsible unit and the office, 处置方案 goes
through the approval gate to the leader in charge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models.policy.states import EventKind, ObligationStatus
from models.repo.access import Forbidden
from models.repo.archive import case_archive
from models.repo.cases import CaseError, get_case
from models.repo.playbooks import continued_spread
from models.repo.reports.accountability import accountability_rows
from models.repo.reports.quick import quick_facts
from models.store.db import session_scope
from models.store.records import Correction, Instruction
from models.store.tables import AccountabilityRecord, MetricSnapshot, Obligation
from tasks.act import ActionRequest, record_action
from tasks.reports.context import labels_for
from tasks.runtime import Runtime, context_for, prepare
from tests.db.test_actions import (
    PEOPLE,
    act,
    deliver,
    messages,
    obligation,
    runtime,
    timeline,
    to_dispatched,
)
from tests.support.configs import write_office_config
from tests.support.escalation import T0, cycle, hook_urls, new_case
from yuqing.localservers import WebhookReceiver

__all__ = ["runtime"]  # the fixture, shared with test_actions


def _records(runtime: Runtime, case_id: int) -> list[str]:
    with session_scope(runtime.engine) as session:
        rows = session.exec(
            select(AccountabilityRecord).where(AccountabilityRecord.case_id == case_id)
        ).all()
        return [r.obligation_title for r in rows]


def test_an_optional_obligation_waived_with_a_reason_never_lapses_nor_escalates(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    """default preset: 新闻发布会（需要时） is optional (国办发〔2016〕80号: 需要时); the office
    resolves it as 不需要 with the reason; the case beside it, not waived, lapses as before."""
    waived, kept = new_case(runtime.engine), new_case(runtime.engine, title="另一中学投诉")
    with pytest.raises(CaseError, match=r"缺少字段 reason"):
        act(runtime, "waive", waived, subject="press_conference", reason=" ")
    with pytest.raises(CaseError, match=r"预案要求必办的事项.*不能确认为不需要"):
        act(runtime, "waive", waived, subject="quick_report", reason="已电话报告")
    with pytest.raises(Forbidden):
        act(runtime, "waive", waived, actor="张伟", subject="press_conference", reason="无")
    done = act(
        runtime, "waive", waived, subject="press_conference", reason="已发布权威信息，无需发布会"
    )
    assert done.data["status"] == "waived"
    assert obligation(runtime, waived, "press_conference").status == ObligationStatus.WAIVED
    said = [m for k, _, m in timeline(runtime, waived) if k == EventKind.WAIVED]
    assert said == [
        "王芳 确认不需要：新闻发布会（需要时），理由：已发布权威信息，无需发布会"
        "（不再催办，不计逾期）"
    ]
    with pytest.raises(CaseError):  # resolved once
        act(runtime, "waive", waived, subject="press_conference", reason="再次")
    receiver.received.clear()
    for hours in (25, 26, 30):  # the 24 h press conference long past, chain climbed to the top
        deliver(runtime, receiver, T0 + timedelta(hours=hours))
    assert "新闻发布会（需要时）" not in _records(runtime, waived)
    assert "新闻发布会（需要时）" in _records(runtime, kept)
    told = [m for p in ("wangfang", "chenjun", "sunli") for m in messages(receiver, p)]
    lapses = [m for m in told if "新闻发布会" in m]
    assert lapses and all(f"案件：{kept}号" in m for m in lapses)  # only the one not waived


def test_an_instruction_is_recorded_relayed_and_in_the_quick_report(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    """批示 (F9; S1-4§14 领导签批, S2-4.3 二.2 批办): by a leader only; on the record with who
    and when; relayed to the responsible unit's people and the office; quoted in the 快报's
    领导批示 field."""
    case_id = new_case(runtime.engine)
    to_dispatched(runtime, case_id)
    at = T0 + timedelta(minutes=20)
    with pytest.raises(Forbidden):
        act(runtime, "instruct", case_id, actor="王芳", at=at, text="请尽快核实")
    with pytest.raises(CaseError, match=r"缺少字段 text"):
        act(runtime, "instruct", case_id, actor="李强", at=at, text="")
    receiver.received.clear()
    act(runtime, "instruct", case_id, actor="李强", at=at, text="请市一中当日核实并回应家长")
    with session_scope(runtime.engine) as session:
        given = session.exec(select(Instruction).where(Instruction.case_id == case_id)).all()
        assert [(i.given_by, i.text) for i in given] == [("liqiang", "请市一中当日核实并回应家长")]
        facts = quick_facts(session, case_id=case_id)
    assert facts.instructions == ("李强（2026-11-22 09:20）：请市一中当日核实并回应家长",)
    said = [m for k, _, m in timeline(runtime, case_id) if k == EventKind.INSTRUCTED]
    assert said == ["李强 批示：请市一中当日核实并回应家长"]
    deliver(runtime, receiver, at)
    for person in ("zhangwei", "liuyang", "wangfang", "chenjun"):  # the unit and the office
        assert any("请市一中当日核实并回应家长" in m for m in messages(receiver, person)), person
    assert not any("领导批示" in m for m in messages(receiver, "sunli"))  # 组长 is not told


@pytest.fixture
def wider(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Runtime]:
    """The office with a second unit (the 城关派出所, its responsible person 周海) that 研判
    missed."""
    config = write_office_config(tmp_path, database_url=database_url, receiver=receiver)
    with config.open("a", encoding="utf-8") as out:
        out.write(
            '\n[[units]]\nid = "police"\nname = "城关派出所"\n\n[[people]]\nid = "zhouhai"\n'
            'name = "周海"\nunit = "police"\nroles = ["unit_responsible"]\n'
            'channels = ["zhouhai_hook"]\n'
        )
    with (tmp_path / "secrets.toml").open("a", encoding="utf-8") as out:
        out.write(f'zhouhai_hook = "{receiver.apprise_url("/hook/zhouhai")}"\n')
    runtime = prepare(str(config))
    yield runtime
    runtime.engine.dispose()


def _corrections(runtime: Runtime, case_id: int) -> list[tuple[str, str, str, str, str | None]]:
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(Correction).where(Correction.case_id == case_id)).all()
        return [(r.kind, r.before, r.after, r.reason, r.approved_by) for r in rows]


def test_a_unit_added_after_dispatch_gets_its_own_contact_sheet_and_deadline(
    wider: Runtime, receiver: WebhookReceiver
) -> None:
    """调整责任单位 (issue 19 §4): the missed unit added with a reason gets the contact sheet
    and its own 核查 deadline counted from the correction, held by its responsible person; the
    correction is on the timeline and the record."""
    case_id = new_case(wider.engine)
    to_dispatched(wider, case_id)
    at = T0 + timedelta(hours=1)
    with pytest.raises(CaseError, match="不是本系统登记的单位"):
        act(wider, "units", case_id, at=at, add="nowhere", reason="漏派")
    with pytest.raises(CaseError, match=r"缺少字段 reason"):
        act(wider, "units", case_id, at=at, add="police", reason="")
    with pytest.raises(Forbidden):
        act(wider, "units", case_id, actor="张伟", at=at, add="police", reason="漏派")
    receiver.received.clear()
    done = act(wider, "units", case_id, at=at, add="police", reason="涉及校外治安，研判时漏派")
    assert done.data["units"] == ["school", "police"] and done.data["added"] == ["police"]
    with session_scope(wider.engine) as session:
        owed = [
            o
            for o in session.exec(select(Obligation).where(Obligation.case_id == case_id))
            if o.assignee_id == "zhouhai"
        ]
    assert [o.title for o in owed] == ["核查反馈（城关派出所）"]
    assert owed[0].due_at == at + timedelta(hours=3)  # 一级 核查 3 h, from the correction
    assert obligation(wider, case_id, "verification").due_at == T0 + timedelta(minutes=3, hours=3)
    assert _corrections(wider, case_id) == [
        ("units", "市一中", "市一中、城关派出所", "涉及校外治安，研判时漏派", None)
    ]
    said = [m for k, _, m in timeline(wider, case_id) if k == EventKind.CORRECTED]
    assert said == [
        "王芳 更正责任单位：市一中 → 市一中、城关派出所，理由：涉及校外治安，研判时漏派"
    ]
    cycle(wider.engine, at, hook_urls(receiver, [*PEOPLE, "zhouhai"]), ctx=context_for(wider))
    sheet = messages(receiver, "zhouhai")
    assert any("网络舆情联系单" in m and "城关派出所" in m for m in sheet)


def test_grade_and_category_are_corrected_with_a_reason_a_lower_grade_only_on_approval(
    runtime: Runtime,
) -> None:
    """更正 (issue 19 §4): a higher grade at once; a lower one is a downgrade request recorded
    as a correction once approved; a category at once, its playbook applied (default preset:
    a rumour opens 研究移送公安机关, S1-1 四(三)3)."""
    case_id = new_case(runtime.engine, grade="二级")
    with pytest.raises(CaseError, match="缺少字段 category 或 grade"):
        act(runtime, "correct", case_id, reason="误判")
    act(runtime, "correct", case_id, actor="李强", grade="一级", reason="已有媒体转载")
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).grade == "g1"
    asked = act(runtime, "correct", case_id, actor="王芳", grade="二级", reason="转载已删除")
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).grade == "g1"  # nothing yet: a request
    act(runtime, "approve", case_id, actor="李强", request=str(asked.data["request_id"]))
    act(runtime, "correct", case_id, category="rumour", reason="核实为编造")
    with session_scope(runtime.engine) as session:
        case = get_case(session, case_id)
        assert (case.grade, case.category) == ("g2", "rumour")
    assert _corrections(runtime, case_id) == [
        ("grade", "二级", "一级", "已有媒体转载", None),
        ("grade", "一级", "二级", "更正：转载已删除", "liqiang"),
        ("category", "未分类", "捏造、歪曲、谣言", "核实为编造", None),
    ]
    referral = obligation(runtime, case_id, "refer_public_security")
    assert referral.status == ObligationStatus.OPEN
    assert referral.title == "研究移送公安机关依法处置（需要时）"


def test_a_stage_moves_back_only_with_the_office_heads_consent_and_is_redone(
    runtime: Runtime,
) -> None:
    """阶段回退 (issue 19 §4): asked with a reason, decided by the office head (陈军), not the
    leader in charge; on approval the stage is back and the undone stage's deadline is open
    again, counted from the consent."""
    case_id = new_case(runtime.engine)
    to_dispatched(runtime, case_id)
    at = T0 + timedelta(hours=1)
    act(runtime, "complete", case_id, at=at, subject="verification", result="属实")
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).stage.value == "verified"
    with pytest.raises(CaseError, match=r"须是.*之前的阶段"):
        act(runtime, "rewind", case_id, at=at, stage="closed", reason="错")
    asked = act(runtime, "rewind", case_id, at=at, stage="dispatched", reason="核查结果有误")
    number = str(asked.data["request_id"])
    with pytest.raises(Forbidden):
        act(runtime, "approve", case_id, actor="李强", at=at, request=number)
    later = at + timedelta(minutes=30)
    act(runtime, "approve", case_id, actor="陈军", at=later, request=number)
    with session_scope(runtime.engine) as session:
        assert get_case(session, case_id).stage.value == "dispatched"
    assert _corrections(runtime, case_id) == [("stage", "核查", "交办", "核查结果有误", "chenjun")]
    with session_scope(runtime.engine) as session:
        redo = [
            o
            for o in session.exec(select(Obligation).where(Obligation.case_id == case_id))
            if o.status == ObligationStatus.OPEN and o.key.startswith("verification")
        ]
    assert [(o.title, o.due_at) for o in redo] == [
        ("核查反馈（阶段回退后重新办理）", later + timedelta(hours=3))
    ]


def test_a_handling_plan_goes_through_the_gate_to_the_leader_in_charge(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    """处置方案 (F9; S1-2/S1-5 四(二): the unit's plan approved by its leader in charge): the
    responsible unit submits it as a request; the leader in charge is asked and decides, never
    the office staff nor the submitter; decided once; on the timeline."""
    case_id = new_case(runtime.engine)
    with pytest.raises(CaseError, match="尚未指定责任单位"):
        act(runtime, "plan", case_id, text="先核查")
    with pytest.raises(Forbidden, match="不在 市一中 的职责范围内"):
        act(runtime, "plan", case_id, actor="张伟", text="先核查")
    to_dispatched(runtime, case_id)
    at = T0 + timedelta(minutes=40)
    receiver.received.clear()
    asked = act(runtime, "plan", case_id, actor="张伟", at=at, text="一、食堂停业整顿；二、约谈")
    number = str(asked.data["request_id"])
    deliver(runtime, receiver, at)
    told = {p for p in PEOPLE if any("处置方案" in m for m in messages(receiver, p))}
    assert "liqiang" in told and "sunli" not in told
    with pytest.raises(Forbidden):
        act(runtime, "approve", case_id, actor="王芳", at=at, request=number)
    with pytest.raises(Forbidden):
        act(runtime, "approve", case_id, actor="孙力", at=at, request=number)
    with pytest.raises(CaseError, match="待审批"):
        act(runtime, "plan", case_id, actor="张伟", at=at, text="再交一份")
    decided = act(runtime, "approve", case_id, actor="李强", at=at, request=number)
    assert decided.data["status"] == "approved"
    said = [m for k, _, m in timeline(runtime, case_id) if k == EventKind.NOTE]
    assert "李强 批准 张伟 的处置方案" in said
    with pytest.raises(CaseError, match="已由 李强 批准"):
        act(runtime, "reject", case_id, actor="李强", at=at, request=number, reason="晚了")


@pytest.fixture
def blackout(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Runtime]:
    """S4 with a sensitive period flagged as a release blackout around T0; 赵敏 also holds the
    宣传部's contact (an outside body)."""
    period = (
        '[[collect.sensitive_periods]]\nname = "二十大"\nstart = 2026-11-20\nend = 2026-11-25\n'
        "blackout = true\n"
    )
    config = write_office_config(
        tmp_path,
        database_url=database_url,
        receiver=receiver,
        preset="s4",
        collect_toml=period,
        roles={"zhaomin": ["duty_officer", "propaganda_dept"]},
    )
    runtime = prepare(str(config))
    yield runtime
    runtime.engine.dispose()


def test_in_a_blackout_the_reply_and_outside_messages_wait_for_the_group_heads_consent(
    blackout: Runtime, receiver: WebhookReceiver
) -> None:
    """Release blackout (S4 二.4: 敏感节点期间原则上不发布敏感案事件信息; 内外有别): the 快报 to
    the office is sent, its copy to 宣传部 waits for the group head (S4 `[approvers.release]`);
    回应发布 is a request, published only on his consent; each on the record."""
    urls = hook_urls(receiver, PEOPLE)
    form = {"title": "某中学食堂投诉", "grade": "一级"}
    registered = record_action(blackout, ActionRequest("register", 0, "wangfang", T0, "test", form))
    assert registered.change is not None
    case_id = registered.change.case_id
    reported = act(blackout, "report", case_id, at=T0 + timedelta(minutes=5))
    held = str(reported.data["held"])
    assert reported.message.endswith(
        f"静默期：发往政法委、宣传部、网信办的通知待审批（申请编号 {held}）"
    )
    cycle(blackout.engine, T0 + timedelta(minutes=5), urls, ctx=context_for(blackout))
    assert any("快报" in m for m in messages(receiver, "chenjun"))  # the office: as usual
    assert not any("快报" in m for m in messages(receiver, "zhaomin"))  # 宣传部: held
    with pytest.raises(Forbidden):
        act(blackout, "approve", case_id, actor="陈军", request=held)
    act(blackout, "approve", case_id, actor="孙力", at=T0 + timedelta(minutes=6), request=held)
    cycle(blackout.engine, T0 + timedelta(minutes=6), urls, ctx=context_for(blackout))
    assert any("快报" in m for m in messages(receiver, "zhaomin"))
    act(
        blackout, "assess", case_id, actor="李强", at=T0 + timedelta(minutes=7), grade="一级",
        category="inquiry", units="school",
    )  # fmt: skip
    with pytest.raises(CaseError, match="静默期“二十大”：发布须经审批"):  # no way round it
        act(
            blackout, "complete", case_id, at=T0 + timedelta(minutes=8), subject="first_response",
            url="https://gov.example/r/0",
        )  # fmt: skip
    refused = act(
        blackout, "respond", case_id, at=T0 + timedelta(minutes=8), url="https://gov.example/r/0"
    )
    act(
        blackout, "reject", case_id, actor="孙力", at=T0 + timedelta(minutes=8),
        request=str(refused.data["request_id"]), reason="节点期间不发布",
    )  # fmt: skip
    asked = act(
        blackout, "respond", case_id, at=T0 + timedelta(minutes=8), url="https://gov.example/r/1"
    )
    with session_scope(blackout.engine) as session:
        assert get_case(session, case_id).stage.value == "assessed"  # not published yet
    act(
        blackout,
        "approve",
        case_id,
        actor="孙力",
        at=T0 + timedelta(minutes=9),
        request=str(asked.data["request_id"]),
    )
    with session_scope(blackout.engine) as session:
        assert get_case(session, case_id).stage.value == "responded"
    assert obligation(blackout, case_id, "first_response").status == ObligationStatus.COMPLETED


def test_a_rumour_opens_the_referral_and_the_referral_meets_it(runtime: Runtime) -> None:
    """Category playbooks (F11; default preset `[playbooks.rumour]`, S1-1 四(三)3; S1-6): a case
    assessed as a rumour owes a referral to public security (needed-when: it may be waived);
    移送 to public security meets it; a corruption case owes the discipline referral
    (S1-16), which cannot be waived."""
    rumour, graft = new_case(runtime.engine), new_case(runtime.engine, title="某局长受贿")
    at = T0 + timedelta(minutes=2)
    for case_id, category in ((rumour, "rumour"), (graft, "corruption")):
        act(runtime, "report", case_id, at=T0 + timedelta(minutes=1))
        act(
            runtime, "assess", case_id, actor="李强", at=at, grade="一级", category=category,
            units="school",
        )  # fmt: skip
    referral = obligation(runtime, rumour, "refer_public_security")
    assert (referral.status, referral.due_at) == (ObligationStatus.OPEN, at + timedelta(hours=24))
    act(runtime, "refer", rumour, at=at, to="public_security", note="涉嫌造谣")
    assert obligation(runtime, rumour, "refer_public_security").status == (
        ObligationStatus.COMPLETED
    )
    assert obligation(runtime, graft, "refer_discipline").status == ObligationStatus.OPEN
    with pytest.raises(CaseError, match="不能确认为不需要"):
        act(runtime, "waive", graft, subject="refer_discipline", reason="不涉及")


def _office(database_url: str, tmp_path: Path, receiver: WebhookReceiver, preset: str) -> Runtime:
    config = write_office_config(
        tmp_path, database_url=database_url, receiver=receiver, preset=preset
    )
    return prepare(str(config))


def _register(runtime: Runtime, grade: str) -> int:
    form = {"title": "某中学食堂投诉", "grade": grade}
    done = record_action(runtime, ActionRequest("register", 0, "wangfang", T0, "test", form))
    assert done.change is not None
    return done.change.case_id


def test_s1_2_the_approved_plan_meets_the_units_plan_obligation(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """S1-2 四(二): after the contact sheet the unit owes 制定处置方案或实施计划，经分管领导审批;
    the plan submitted does not meet it, the leader in charge's approval does."""
    runtime = _office(database_url, tmp_path, receiver, "s1-2")
    try:
        case_id = _register(runtime, "一级")
        act(runtime, "report", case_id, at=T0 + timedelta(minutes=1))
        act(runtime, "dispatch", case_id, at=T0 + timedelta(minutes=2), units="school")
        owed = obligation(runtime, case_id, "handling_plan")
        assert (owed.status, owed.due_at) == (
            ObligationStatus.OPEN,
            T0 + timedelta(minutes=2, hours=12),
        )
        asked = act(runtime, "plan", case_id, actor="张伟", at=T0 + timedelta(hours=1), text="整改")
        assert obligation(runtime, case_id, "handling_plan").status == ObligationStatus.OPEN
        number = str(asked.data["request_id"])
        act(runtime, "approve", case_id, actor="李强", at=T0 + timedelta(hours=2), request=number)
        done = obligation(runtime, case_id, "handling_plan")
        assert (done.status, done.completed_at) == (
            ObligationStatus.COMPLETED,
            T0 + timedelta(hours=2),
        )
    finally:
        runtime.engine.dispose()


def test_s2_4_3_the_leaders_instruction_is_the_assignment(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """S2-4.3 三.2 批办: the leader's handling opinion on the slip — his 批示 meets 批办."""
    runtime = _office(database_url, tmp_path, receiver, "s2-4.3")
    try:
        case_id = _register(runtime, "一级")
        assert obligation(runtime, case_id, "assignment").status == ObligationStatus.OPEN
        act(runtime, "instruct", case_id, actor="李强", at=T0 + timedelta(hours=1), text="请核实")
        assert obligation(runtime, case_id, "assignment").status == ObligationStatus.COMPLETED
        said = [m for k, _, m in timeline(runtime, case_id) if k == EventKind.INSTRUCTED]
        assert said == ["李强 批示：请核实（批办：主要领导或分管领导提出办理意见（抄告单））"]
    finally:
        runtime.engine.dispose()


def test_a_second_report_is_a_numbered_further_report_and_a_rise_owes_one(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    """续报 (F7; S1-1 四(二), S1-17; S1-8 and S0-7 on a grade rise): the second report is the
    第1次续报 to the same targets with what changed since; a rise on a reported case owes a
    further report within the new grade's 快报 limit (一级: 30 min, S1-4§13), met by the next
    report, which also reaches the new grade's targets (一级: the principal leader)."""
    case_id = new_case(runtime.engine, grade="二级")
    first = act(runtime, "report", case_id, at=T0 + timedelta(minutes=5))
    assert first.data["ordinal"] == 1
    act(runtime, "instruct", case_id, actor="李强", at=T0 + timedelta(minutes=6), text="密切关注")
    receiver.received.clear()
    again = act(runtime, "report", case_id, at=T0 + timedelta(minutes=8), text="点击量过万")
    assert again.message == f"已报送第1次续报：案件 {case_id}（3 类报送对象）"
    deliver(runtime, receiver, T0 + timedelta(minutes=8))
    (told,) = [m for m in messages(receiver, "chenjun") if "第1次续报" in m]
    assert "自上次报送以来" in told and "李强 批示：密切关注" in told and "点击量过万" in told
    rise = T0 + timedelta(minutes=20)
    act(runtime, "upgrade", case_id, at=rise, reason="央媒转载")
    with session_scope(runtime.engine) as session:
        owed = [
            o
            for o in session.exec(select(Obligation).where(Obligation.case_id == case_id))
            if o.key.startswith("quick_report@")
        ]
    assert [(o.title, o.due_at, o.status) for o in owed] == [
        ("快报（二级升为一级，续报）", rise + timedelta(minutes=30), ObligationStatus.OPEN)
    ]
    third = act(runtime, "report", case_id, at=rise + timedelta(minutes=10))
    assert third.message == f"已报送第2次续报：案件 {case_id}（4 类报送对象）"
    assert obligation(runtime, case_id, owed[0].key).status == ObligationStatus.COMPLETED


def _spread(runtime: Runtime, case_id: int, at: datetime, clicks: int) -> None:
    """What a collection run records: the case's spread at `at`."""
    with session_scope(runtime.engine) as session:
        session.add(
            MetricSnapshot(
                case_id=case_id, at=at, items=1, sites=1, mainstream_sites=0,
                media_level="ordinary", clicks=clicks, comments=3, reposts=0, grade="g1",
            )
        )  # fmt: skip


def test_hype_that_goes_on_after_the_reply_prompts_a_referral(runtime: Runtime) -> None:
    """S1-1 四(三)2 (default `[playbooks.hype.continued]`): 告知真相后仍继续炒作的, 商请执纪执法
    部门 — a hype case whose spread grows after its reply opens the referral prompt (once),
    told to the office head; a case whose spread stopped opens nothing."""
    growing, quiet = new_case(runtime.engine), new_case(runtime.engine, title="另一中学")
    for case_id in (growing, quiet):
        act(runtime, "report", case_id, at=T0 + timedelta(minutes=1))
        act(
            runtime, "assess", case_id, actor="李强", at=T0 + timedelta(minutes=2), grade="一级",
            category="hype", units="school",
        )  # fmt: skip
        act(runtime, "dispatch", case_id, at=T0 + timedelta(minutes=3))
        act(runtime, "verify", case_id, actor="张伟", at=T0 + timedelta(minutes=4), result="不实")
        act(runtime, "draft", case_id, at=T0 + timedelta(minutes=5), text="经核查，帖文不实")
        act(runtime, "approve", case_id, actor="孙力", at=T0 + timedelta(minutes=6))
        _spread(runtime, case_id, T0 + timedelta(minutes=6), 500)
        act(runtime, "respond", case_id, at=T0 + timedelta(minutes=7), url="https://gov.example/r")
    _spread(runtime, growing, T0 + timedelta(hours=2), 9000)
    now = T0 + timedelta(hours=2, minutes=5)
    with session_scope(runtime.engine) as session:
        told = continued_spread(session, now=now, policy=runtime.policy, calendar=runtime.calendar)
        again = continued_spread(session, now=now, policy=runtime.policy, calendar=runtime.calendar)
    assert [(n.case_id, n.headline) for n in told] == [
        (growing, "回应后仍在传播：说明情况后仍在炒作：研究是否提请纪检或执法部门调查（需要时）")
    ]
    assert "office_head" in told[0].roles and "传播变化：点击 500 → 9000" in told[0].lines
    assert again == []
    prompt = obligation(runtime, growing, "hype_continued")
    assert (prompt.status, prompt.due_at) == (ObligationStatus.OPEN, now + timedelta(hours=24))
    with session_scope(runtime.engine) as session:
        keys = {o.key for o in session.exec(select(Obligation).where(Obligation.case_id == quiet))}
    assert "hype_continued" not in keys


def test_corrections_are_part_of_the_accountability_evidence(
    runtime: Runtime, receiver: WebhookReceiver
) -> None:
    """Issue 19 §4: each correction, with its reason, is shown beside the case's lapses in the
    accountability ledger (who judges a lapse sees the grade was corrected, and why)."""
    case_id = new_case(runtime.engine, grade="二级")
    act(runtime, "correct", case_id, actor="李强", at=T0, grade="一级", reason="已有媒体转载")
    deliver(runtime, receiver, T0 + timedelta(hours=2))  # 一级 快报 (30 min) lapsed
    with session_scope(runtime.engine) as session:
        rows = accountability_rows(session, ids=None)
    lapsed = [r for r in rows if r.case_id == case_id]
    assert lapsed and all(
        r.corrections == ("等级：二级 → 一级（李强，理由：已有媒体转载）",) for r in lapsed
    )


def test_replacing_the_unit_ends_its_deadlines_and_the_new_unit_holds_its_own(
    wider: Runtime,
) -> None:
    """调整责任单位 as 更换 (issue 19 §4): the wrong unit taken off and the right one added —
    the replaced unit's open deadlines end (cancelled, on the timeline), the new unit holds its
    own; the lead follows."""
    case_id = new_case(wider.engine)
    to_dispatched(wider, case_id)
    at = T0 + timedelta(hours=1)
    with pytest.raises(CaseError, match="不是本案责任单位"):
        act(wider, "units", case_id, at=at, remove="police", reason="错")
    done = act(wider, "units", case_id, at=at, add="police", remove="school", reason="派错单位")
    assert (done.data["units"], done.data["lead"]) == (["police"], "police")
    assert obligation(wider, case_id, "verification").status == ObligationStatus.CANCELLED
    with session_scope(wider.engine) as session:
        held = [
            (o.title, o.status)
            for o in session.exec(select(Obligation).where(Obligation.case_id == case_id))
            if o.assignee_id == "zhouhai"
        ]
    assert held == [("核查反馈（城关派出所）", ObligationStatus.OPEN)]


def test_the_case_file_holds_the_instructions_and_the_corrections(runtime: Runtime) -> None:
    """立卷归档 (S2-4.3 三.6: 领导批示件 are filed; issue 19 §4: corrections in the file): the
    case file has a 领导批示 table and a 更正记录 table, each row as given."""
    case_id = new_case(runtime.engine, grade="二级")
    act(runtime, "instruct", case_id, actor="李强", at=T0, text="请核实后报我")
    act(runtime, "correct", case_id, actor="李强", at=T0, grade="一级", reason="央媒转载")
    with session_scope(runtime.engine) as session:
        filed = case_archive(session, case_id=case_id, labels=labels_for(runtime))
    tables = {t.key: t for t in filed.tables}
    assert [r[1:] for r in tables["instructions"].rows] == [
        ("李强", "2026-11-22T09:00:00+08:00", "请核实后报我")
    ]
    assert list(tables["corrections"].rows) == [
        ("等级", "二级", "一级", "央媒转载", "李强", None, "2026-11-22T09:00:00+08:00")
    ]
