"""`yuqing case VERB ID ...`: every action a person takes on a case, one verb each, through
`yuqing.actions.perform` (the same as the console and the signed links): 签收 ack, 完成 complete,
申请延期 extend, 转办 reassign, 上报 escalate, 升级 upgrade, 申请降级 downgrade, 快报 report,
研判 assess, 下发联系单 dispatch, 核查 verify, 通稿 draft, 审批 approve / reject, 回应 respond,
跟踪 track, 办结 close, 总结评估 review, 移送 refer, 重新打开 reopen. Each takes `--by` (the
person acting, on the record; requests and decisions need a person in the directory) and
`--json`; exit 0 done, 2 refused with the reason. The steps a change causes (telling people) are
carried out by the running `yuqing serve`, or here when none runs."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any

import typer
from rich.markup import escape

from yuqing.cli_common import config_arg, console, now, print_json, progress, refusals

CASE = typer.Argument(..., help="案件编号", min=1, max=2**31 - 1)
BY = typer.Option(None, "--by", help="操作人：人员编号或姓名（默认：当前系统用户）")
JSON = typer.Option(False, "--json", help="输出 JSON")


def act(
    action: str,
    case_id: int,
    *,
    by: str | None,
    as_json: bool,
    form: Mapping[str, str | None] | None = None,
    subject: str | None = None,
) -> None:
    """Record the action, hand its steps on, print the outcome (exit 2 on a refusal)."""
    from models.repo.cases import get_case
    from models.store.db import session_scope
    from tasks.runtime import prepare
    from yuqing import actions
    from yuqing.carry import carry_out

    with refusals():
        config = config_arg()
        runtime = prepare(config)
        at = now()
        change = actions.perform(
            runtime,
            action,
            case_id=case_id,
            subject=subject,
            actor=by or getpass.getuser(),
            at=at,
            form={k: v for k, v in (form or {}).items() if v is not None},
        )
        steps = len(change.notices)
        carried = carry_out(runtime, case_id, config=config, at=at, say=progress) if steps else {}
        with session_scope(runtime.engine) as session:
            stage = get_case(session, case_id).stage.value
    if as_json:
        data: dict[str, Any] = {
            "stage": stage,
            **change.data,
            "notices": steps,
            "carried_out": carried,
        }
        print_json(data)
        return
    console.print(escape(change.message))


def register(app: typer.Typer) -> None:
    """Add every verb to the `case` command group."""
    for command in COMMANDS:
        app.command(command.__name__.removesuffix("_cmd"))(command)


def ack_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码，默认最早到期的未签收项"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """签收：停止未签收提醒；事项完成前仍按时限催办。"""
    act("ack", case_id, by=by, as_json=as_json, subject=obligation)


def complete_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码（如 verification）"),
    result: str = typer.Option(None, "--result", help="核查结果（事项需要时）"),
    url: str = typer.Option(None, "--url", help="回应链接（事项需要时）"),
    note: str = typer.Option(None, "--note", help="办理说明"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """完成事项：停止该事项的全部催办；事项对应的阶段事件合法时，案件进入下一阶段。"""
    form = {"result": result, "url": url, "note": note}
    act("complete", case_id, by=by, as_json=as_json, form=form, subject=obligation)


def extend_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码"),
    until: str = typer.Option(None, "--until", help="延至（如 2026-11-23 18:00，默认本地时区）"),
    reason: str = typer.Option(None, "--reason", help="延期理由"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """申请延期：须经审批人同意（yuqing case approve）才改变截止时间。"""
    form = {"until": until, "reason": reason}
    act("extend", case_id, by=by, as_json=as_json, form=form, subject=obligation)


def reassign_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码"),
    to: str = typer.Option(None, "--to", help="转办给（人员编号或姓名）"),
    reason: str = typer.Option(None, "--reason", help="转办理由"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """转办：事项交给另一人办理并通知其本人；时限不重新计算。"""
    form = {"to_person": to, "reason": reason}
    act("reassign", case_id, by=by, as_json=as_json, form=form, subject=obligation)


def escalate_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码"),
    reason: str = typer.Option(None, "--reason", help="上报理由"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """上报：事项的催办链立即上升一级并通知该级人员。"""
    act("escalate", case_id, by=by, as_json=as_json, form={"reason": reason}, subject=obligation)


def upgrade_cmd(
    case_id: int = CASE,
    grade: str = typer.Option(None, "--grade", help="升至等级（默认升一级）"),
    reason: str = typer.Option(None, "--reason", help="升级理由"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """升级：未完成事项的时限按新等级缩短，并通知督办链第一级。"""
    act("upgrade", case_id, by=by, as_json=as_json, form={"grade": grade, "reason": reason})


def downgrade_cmd(
    case_id: int = CASE,
    grade: str = typer.Option(None, "--grade", help="降至等级（默认降一级）"),
    reason: str = typer.Option(None, "--reason", help="降级理由"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """申请降级：须由该等级的审批人（非申请人本人）同意后生效；已有时限不会延长。"""
    act("downgrade", case_id, by=by, as_json=as_json, form={"grade": grade, "reason": reason})


def report_cmd(
    case_id: int = CASE,
    text: str = typer.Option(None, "--text", help="报送说明"),
    unit: list[str] = typer.Option(None, "--unit", help="发生责任单位（预案要求通知时）"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """快报：按等级报送快报（网站、信息、网友留言要点、来源链接、类别、等级）。"""
    form = {"text": text, "units": ",".join(unit or [])}
    act("report", case_id, by=by, as_json=as_json, form=form)


def assess_cmd(
    case_id: int = CASE,
    grade: str = typer.Option(None, "--grade", help="确认等级（如 一级）"),
    category: str = typer.Option(
        None, "--category", help="inquiry | hype | rumour | suggestion | corruption"
    ),
    unit: list[str] = typer.Option(None, "--unit", help="责任单位编号（可多次）"),
    lead: str = typer.Option(None, "--lead", help="牵头单位（多个单位时，默认第一个）"),
    note: str = typer.Option(None, "--note", help="研判意见"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """研判：确认等级与类别，指定责任单位（多个单位时指定牵头单位）。"""
    form = {"grade": grade, "category": category, "units": ",".join(unit or []), "lead": lead}
    act("assess", case_id, by=by, as_json=as_json, form={**form, "note": note})


def dispatch_cmd(
    case_id: int = CASE,
    unit: list[str] = typer.Option(None, "--unit", help="责任单位（研判未指定时）"),
    lead: str = typer.Option(None, "--lead", help="牵头单位"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """下发联系单：发给责任单位的负责人和联络员，核查与办结时限开始计算。"""
    form = {"units": ",".join(unit or []), "lead": lead}
    act("dispatch", case_id, by=by, as_json=as_json, form=form)


def verify_cmd(
    case_id: int = CASE,
    result: str = typer.Option(None, "--result", help="核查结果"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """核查反馈：记录核查结果，案件进入核查阶段。"""
    act("verify", case_id, by=by, as_json=as_json, form={"result": result})


def draft_cmd(
    case_id: int = CASE,
    text: str = typer.Option(None, "--text", help="通稿内容"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """提交通稿：送该等级的审批人审定（本人不能审批自己的通稿）。"""
    act("draft", case_id, by=by, as_json=as_json, form={"text": text})


def approve_cmd(
    case_id: int = CASE,
    request: int = typer.Option(None, "--request", help="申请编号（案件只有一个待审批时可省略）"),
    note: str = typer.Option(None, "--note", help="审批意见"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """同意：通稿审定、降级或延期申请（须持有该等级的审批角色，且不是申请人）。"""
    form = {"request": None if request is None else str(request), "note": note}
    act("approve", case_id, by=by, as_json=as_json, form=form)


def reject_cmd(
    case_id: int = CASE,
    request: int = typer.Option(None, "--request", help="申请编号（案件只有一个待审批时可省略）"),
    reason: str = typer.Option(None, "--reason", help="退回理由"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """退回：通稿、降级或延期申请不予同意，并通知申请人。"""
    form = {"request": None if request is None else str(request), "reason": reason}
    act("reject", case_id, by=by, as_json=as_json, form=form)


def respond_cmd(
    case_id: int = CASE,
    url: str = typer.Option(None, "--url", help="回应链接"),
    text: str = typer.Option(None, "--text", help="回应内容"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """回应发布：记录公开回应的链接与内容。"""
    act("respond", case_id, by=by, as_json=as_json, form={"url": url, "text": text})


def track_cmd(
    case_id: int = CASE,
    note: str = typer.Option(None, "--note", help="跟踪说明"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """跟踪：持续监测，指标变化仍可触发升级。"""
    act("track", case_id, by=by, as_json=as_json, form={"note": note})


def close_cmd(
    case_id: int = CASE,
    outcome: str = typer.Option(
        None, "--outcome", help="subsided 平息 | eliminated 消除 | stabilised 趋于平稳 | completed"
    ),
    reason: str = typer.Option(None, "--reason", help="办结说明"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """办结：记录办结结果，其余未完成事项取消，开始善后观察与总结评估计时。"""
    act("close", case_id, by=by, as_json=as_json, form={"outcome": outcome, "reason": reason})


def review_cmd(
    case_id: int = CASE,
    summary: str = typer.Option(None, "--summary", help="总结"),
    cause: str = typer.Option(None, "--cause", help="原因分析"),
    lessons: str = typer.Option(None, "--lessons", help="经验教训"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """总结评估：填写总结、原因与经验教训，案件归入案例库。"""
    form = {"summary": summary, "cause": cause, "lessons": lessons}
    act("review", case_id, by=by, as_json=as_json, form=form)


def refer_cmd(
    case_id: int = CASE,
    to: str = typer.Option(
        None, "--to", help="public_security | discipline | cyberspace_office | propaganda"
    ),
    note: str = typer.Option(None, "--note", help="移送说明"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """移送：记录移送公安、纪检、网信办或宣传部（作为案件结果记录）。"""
    act("refer", case_id, by=by, as_json=as_json, form={"to": to, "note": note})


def reopen_cmd(
    case_id: int = CASE,
    reason: str = typer.Option(None, "--reason", help="重新打开理由"),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """重新打开：善后观察期内已办结的案件回到跟踪阶段。"""
    act("reopen", case_id, by=by, as_json=as_json, form={"reason": reason})


COMMANDS = (
    ack_cmd,
    complete_cmd,
    extend_cmd,
    reassign_cmd,
    escalate_cmd,
    upgrade_cmd,
    downgrade_cmd,
    report_cmd,
    assess_cmd,
    dispatch_cmd,
    verify_cmd,
    draft_cmd,
    approve_cmd,
    reject_cmd,
    respond_cmd,
    track_cmd,
    close_cmd,
    review_cmd,
    refer_cmd,
    reopen_cmd,
)
