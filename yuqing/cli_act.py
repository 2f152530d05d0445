"""`yuqing case VERB ID ...`: every action a person takes on a case, one verb each, named and
described by the catalogue (`models.policy.catalogue`): 签收 ack, 完成 complete, 申请延期
extend, 转办 reassign, 上报 escalate, 升级 upgrade, 申请降级 downgrade, 快报 report, 研判
assess, 下发联系单 dispatch, 核查 verify, 通稿 draft, 审批 approve / reject, 回应 respond, 跟踪
track, 办结 close, 总结评估 review, 移送 refer, 重新打开 reopen. Each takes `--by` (a person of
the directory, by id or name; else the configured `[cli] operator`; requests and decisions are
refused without one) and `--json`; the record keeps that it came from the command line and the
OS user who ran it. Each is carried out by `yuqing.cli_action.act` (one task run, by the running
serve when there is one); exit 0 done, 2 refused with the reason."""

from __future__ import annotations

import typer

from models.policy.catalogue import CATALOGUE
from models.policy.states import CATEGORY_HELP, OUTCOME_HELP, REFERRAL_HELP
from yuqing.cli_action import BY, CASE, JSON, act
from yuqing.cli_common import AT


def register(app: typer.Typer) -> None:
    """Add every verb to the `case` command group, described by the catalogue (the seeds'
    further verbs: `yuqing.cli_verbs`)."""
    from yuqing import cli_verbs

    for command in (*COMMANDS, *cli_verbs.COMMANDS):
        name = command.__name__.removesuffix("_cmd")
        app.command(name, help=CATALOGUE[name].summary + "。")(command)


def ack_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码，默认最早到期的未签收项"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("ack", case_id, by=by, as_json=as_json, subject=obligation)


def complete_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码（如 verification）"),
    result: str = typer.Option(None, "--result", help="核查结果（事项需要时）"),
    url: str = typer.Option(None, "--url", help="回应链接（事项需要时）"),
    note: str = typer.Option(None, "--note", help="办理说明"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"result": result, "url": url, "note": note}
    act("complete", case_id, by=by, as_json=as_json, form=form, subject=obligation)


def extend_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码"),
    until: str = typer.Option(None, "--until", help="延至（如 2026-11-23 18:00，默认本地时区）"),
    reason: str = typer.Option(None, "--reason", help="延期理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"until": until, "reason": reason}
    act("extend", case_id, by=by, as_json=as_json, form=form, subject=obligation)


def reassign_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码"),
    to: str = typer.Option(None, "--to", help="转办给（人员编号或姓名）"),
    reason: str = typer.Option(None, "--reason", help="转办理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"to_person": to, "reason": reason}
    act("reassign", case_id, by=by, as_json=as_json, form=form, subject=obligation)


def escalate_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码"),
    reason: str = typer.Option(None, "--reason", help="上报理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("escalate", case_id, by=by, as_json=as_json, form={"reason": reason}, subject=obligation)


def upgrade_cmd(
    case_id: int = CASE,
    grade: str = typer.Option(None, "--grade", help="升至等级（默认升一级）"),
    reason: str = typer.Option(None, "--reason", help="升级理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("upgrade", case_id, by=by, as_json=as_json, form={"grade": grade, "reason": reason})


def downgrade_cmd(
    case_id: int = CASE,
    grade: str = typer.Option(None, "--grade", help="降至等级（默认降一级）"),
    reason: str = typer.Option(None, "--reason", help="降级理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("downgrade", case_id, by=by, as_json=as_json, form={"grade": grade, "reason": reason})


def report_cmd(
    case_id: int = CASE,
    text: str = typer.Option(None, "--text", help="报送说明"),
    unit: list[str] = typer.Option(None, "--unit", help="发生责任单位（预案要求通知时）"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"text": text, "units": ",".join(unit or [])}
    act("report", case_id, by=by, as_json=as_json, form=form)


def assess_cmd(
    case_id: int = CASE,
    grade: str = typer.Option(None, "--grade", help="确认等级（如 一级）"),
    category: str = typer.Option(None, "--category", help=f"类别：{CATEGORY_HELP}"),
    unit: list[str] = typer.Option(None, "--unit", help="责任单位编号（可多次）"),
    lead: str = typer.Option(None, "--lead", help="牵头单位（多个单位时，默认第一个）"),
    note: str = typer.Option(None, "--note", help="研判意见"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"grade": grade, "category": category, "units": ",".join(unit or []), "lead": lead}
    act("assess", case_id, by=by, as_json=as_json, form={**form, "note": note})


def dispatch_cmd(
    case_id: int = CASE,
    unit: list[str] = typer.Option(None, "--unit", help="责任单位（研判未指定时）"),
    lead: str = typer.Option(None, "--lead", help="牵头单位"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"units": ",".join(unit or []), "lead": lead}
    act("dispatch", case_id, by=by, as_json=as_json, form=form)


def verify_cmd(
    case_id: int = CASE,
    result: str = typer.Option(None, "--result", help="核查结果"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("verify", case_id, by=by, as_json=as_json, form={"result": result})


def draft_cmd(
    case_id: int = CASE,
    text: str = typer.Option(None, "--text", help="通稿内容"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("draft", case_id, by=by, as_json=as_json, form={"text": text})


def approve_cmd(
    case_id: int = CASE,
    request: int = typer.Option(None, "--request", help="申请编号（案件只有一个待审批时可省略）"),
    note: str = typer.Option(None, "--note", help="审批意见"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"request": None if request is None else str(request), "note": note}
    act("approve", case_id, by=by, as_json=as_json, form=form)


def reject_cmd(
    case_id: int = CASE,
    request: int = typer.Option(None, "--request", help="申请编号（案件只有一个待审批时可省略）"),
    reason: str = typer.Option(None, "--reason", help="退回理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"request": None if request is None else str(request), "reason": reason}
    act("reject", case_id, by=by, as_json=as_json, form=form)


def respond_cmd(
    case_id: int = CASE,
    url: str = typer.Option(None, "--url", help="回应链接"),
    text: str = typer.Option(None, "--text", help="回应内容"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("respond", case_id, by=by, as_json=as_json, form={"url": url, "text": text})


def track_cmd(
    case_id: int = CASE,
    note: str = typer.Option(None, "--note", help="跟踪说明"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("track", case_id, by=by, as_json=as_json, form={"note": note})


def close_cmd(
    case_id: int = CASE,
    outcome: str = typer.Option(None, "--outcome", help=f"办结结果：{OUTCOME_HELP}"),
    reason: str = typer.Option(None, "--reason", help="办结说明"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("close", case_id, by=by, as_json=as_json, form={"outcome": outcome, "reason": reason})


def review_cmd(
    case_id: int = CASE,
    summary: str = typer.Option(None, "--summary", help="总结"),
    cause: str = typer.Option(None, "--cause", help="原因分析"),
    lessons: str = typer.Option(None, "--lessons", help="经验教训"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"summary": summary, "cause": cause, "lessons": lessons}
    act("review", case_id, by=by, as_json=as_json, form=form)


def refer_cmd(
    case_id: int = CASE,
    to: str = typer.Option(None, "--to", help=f"移送单位：{REFERRAL_HELP}"),
    note: str = typer.Option(None, "--note", help="移送说明"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("refer", case_id, by=by, as_json=as_json, form={"to": to, "note": note})


def reopen_cmd(
    case_id: int = CASE,
    reason: str = typer.Option(None, "--reason", help="重新打开理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
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
