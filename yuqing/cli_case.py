"""`yuqing case ...`: list cases, show one with its deadlines and timeline, register one by hand,
and every action a person takes on a case (ack, complete, extend, reassign, escalate, upgrade,
downgrade, close, reopen), each through `yuqing.actions`. Everything a person sees is in
Simplified Chinese; `--json` gives the data; a refusal exits 2 with the reason."""

from __future__ import annotations

import getpass
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from models.parse.topics import CATEGORIES
from models.policy.clocks import utc_now
from models.policy.stages import STAGE_LABELS
from models.repo.cases import (
    CaseError,
    case_items,
    case_obligations,
    case_timeline,
    get_case,
)
from models.repo.cases import list_cases as query_cases
from models.repo.intake import register_manual_item
from models.store.db import session_scope
from models.store.tables import Case
from tasks.runtime import Runtime, prepare
from yuqing import actions, cli_rerun
from yuqing.cli_common import config_arg, console, print_json, refusals

STATUS_LABELS = {
    "open": "待办",
    "completed": "已完成",
    "cancelled": "已取消",
}
UNTIL = actions.FormField("until", "延至", "datetime")
CLOCK_LABELS = {"wall": "自然时间", "calendar_days": "自然日", "working_days": "工作日"}

app = typer.Typer(help="案件：列表、详情、登记与办理 (cases)", no_args_is_help=True)
app.command("rerun")(cli_rerun.rerun_case)


def _case_data(runtime: Runtime, case: Case, *, full: bool) -> dict[str, Any]:
    assert case.id is not None
    level = runtime.policy.scheme.level(case.grade)
    with session_scope(runtime.engine) as session:
        obligations = case_obligations(session, case.id)
        data: dict[str, Any] = {
            "id": case.id,
            "title": case.title,
            "grade": case.grade,
            "grade_label": level.label,
            "stage": case.stage.value,
            "stage_label": STAGE_LABELS[case.stage],
            "topic": case.topic_id,
            "category": case.category,
            "discovered_at": case.discovered_at,
            "closed_at": case.closed_at,
            "obligations": [
                {
                    "key": o.key,
                    "title": o.title,
                    "clock": o.clock,
                    "due_at": o.due_at,
                    "status": o.status.value,
                    "level": o.level,
                    "provisional": o.provisional,
                    "acked_at": o.acked_at,
                    "acked_by": o.acked_by,
                }
                for o in obligations
            ],
        }
        if full:
            data["items"] = [
                {"url": i.url, "title": i.title, "clicks": i.clicks, "comments": i.comments}
                for i in case_items(session, case.id)
            ]
            data["timeline"] = [
                {"at": e.at, "kind": e.kind.value, "actor": e.actor, "message": e.message}
                for e in case_timeline(session, case.id)
            ]
    return data


@app.command("list")
def list_cases(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    include_closed: bool = typer.Option(False, "--all", help="包括已办结案件"),
    stuck: bool = typer.Option(False, "--stuck", help="只列卡住的案件（步骤失败或时限、通知停摆）"),
) -> None:
    """列出案件（默认只列未办结的；--stuck 只列卡住的）。"""
    if stuck:
        cli_rerun.list_stuck(as_json)
        return
    with refusals():
        runtime = prepare(config_arg())
        with session_scope(runtime.engine) as session:
            cases = list(query_cases(session, include_closed=include_closed))
        rows = [_case_data(runtime, case, full=False) for case in cases]
    if as_json:
        print_json(rows)
        return
    table = Table("编号", "等级", "阶段", "标题", "最近截止", "状态")
    tz = runtime.settings.tz
    for row in rows:
        open_ones = [o for o in row["obligations"] if o["status"] == "open"]
        nearest = min((o["due_at"] for o in open_ones), default=None)
        table.add_row(
            str(row["id"]),
            row["grade_label"],
            row["stage_label"],
            escape(row["title"]),
            nearest.astimezone(tz).strftime("%m-%d %H:%M") if nearest else "—",
            f"{len(open_ones)} 项待办",
        )
    console.print(table)


@app.command("show")
def show_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """显示一个案件：信息来源、各项时限、完整时间线。"""
    with refusals():
        runtime = prepare(config_arg())
        data = show_data(runtime, case_id)
    if as_json:
        print_json(data)
        return
    print_case(runtime, data)


def show_data(runtime: Runtime, case_id: int) -> dict[str, Any]:
    with session_scope(runtime.engine) as session:
        case = get_case(session, case_id)
    return _case_data(runtime, case, full=True)


def print_case(runtime: Runtime, data: dict[str, Any]) -> None:
    tz = runtime.settings.tz
    console.print(
        f"[bold]案件 {data['id']}：{escape(data['title'])}[/bold]  "
        f"{data['grade_label']} · 阶段：{data['stage_label']}"
    )
    table = Table("事项", "计时", "截止", "状态", "催办级别", "签收")
    for o in data["obligations"]:
        acked = (
            f"{o['acked_by']} {o['acked_at'].astimezone(tz):%m-%d %H:%M}" if o["acked_at"] else ""
        )
        table.add_row(
            o["title"],
            CLOCK_LABELS.get(o["clock"], o["clock"]),
            f"{o['due_at'].astimezone(tz):%Y-%m-%d %H:%M}",
            STATUS_LABELS.get(o["status"], o["status"]),
            str(o["level"]),
            acked,
        )
    console.print(table)
    console.print("[bold]时间线[/bold]")
    for event in data["timeline"]:
        console.print(f"  {event['at'].astimezone(tz):%m-%d %H:%M}  {escape(event['message'])}")


@app.command("ack")
def ack_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    by: str = typer.Option(None, "--by", help="签收人（默认：当前系统用户）"),
    obligation: str = typer.Option(None, "--obligation", help="事项代码，默认最早到期的未签收项"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """签收：记录签收人和时间，停止未签收提醒；事项完成前仍按时限催办。"""
    with refusals():
        runtime = prepare(config_arg())
        done = actions.acknowledge(
            runtime, case_id=case_id, actor=_actor(by), at=utc_now(), obligation_key=obligation
        )
    _report(done, as_json)


@app.command("complete")
def complete_obligation(
    case_id: int = typer.Argument(..., help="案件编号"),
    obligation: str = typer.Option(..., "--obligation", help="事项代码（如 verification）"),
    result: str = typer.Option("", "--result", help="核查结果或通稿内容（事项需要时）"),
    url: str = typer.Option("", "--url", help="回应链接（事项需要时）"),
    note: str = typer.Option("", "--note", help="办理说明"),
    by: str = typer.Option(None, "--by", help="办理人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """完成事项：停止该事项的全部催办；事项对应的阶段事件合法时，案件进入下一阶段。"""
    form = {"result": result, "url": url, "note": note}
    with refusals():
        runtime = prepare(config_arg())
        done = actions.complete(
            runtime,
            case_id=case_id,
            obligation_key=obligation,
            actor=_actor(by),
            at=utc_now(),
            result={k: v for k, v in form.items() if v.strip()},
        )
    _report(done, as_json)


@app.command("extend")
def extend_obligation(
    case_id: int = typer.Argument(..., help="案件编号"),
    obligation: str = typer.Option(None, "--obligation", help="事项代码（申请时必填）"),
    until: str = typer.Option(None, "--until", help="延至（如 2026-11-23 18:00，默认本地时区）"),
    reason: str = typer.Option("", "--reason", help="延期理由"),
    approve: int = typer.Option(None, "--approve", help="批准延期申请（申请编号）"),
    reject: int = typer.Option(None, "--reject", help="驳回延期申请（申请编号）"),
    note: str = typer.Option("", "--note", help="审批意见"),
    by: str = typer.Option(None, "--by", help="申请人或审批人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """申请延期（--obligation --until --reason），或审批人批准/驳回（--approve/--reject）。"""
    with refusals():
        if approve is not None and reject is not None:
            raise CaseError("--approve 与 --reject 只能选一个")
        runtime = prepare(config_arg())
        actor, at = _actor(by), utc_now()
        request_id = approve if approve is not None else reject
        if request_id is not None:
            done = actions.decide_extension(
                runtime,
                case_id=case_id,
                request_id=request_id,
                approver=actor,
                at=at,
                approve=approve is not None,
                note=note,
            )
        else:
            if not obligation:
                raise CaseError("缺少字段 obligation（事项）：请用 --obligation 指明")
            if not until:
                raise CaseError("缺少字段 until（延至）：请用 --until 指明")
            done = actions.request_extension(
                runtime,
                case_id=case_id,
                obligation_key=obligation,
                actor=actor,
                at=at,
                until=actions.parse_time(until, runtime.settings.tz, field=UNTIL),
                reason=reason,
            )
    _report(done, as_json)


@app.command("reassign")
def reassign_obligation(
    case_id: int = typer.Argument(..., help="案件编号"),
    obligation: str = typer.Option(..., "--obligation", help="事项代码"),
    to: str = typer.Option("", "--to", help="转办给（人员编号或姓名）"),
    reason: str = typer.Option("", "--reason", help="转办理由"),
    by: str = typer.Option(None, "--by", help="转办人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """转办：事项交给另一人办理并通知其本人；时限不重新计算。"""
    with refusals():
        runtime = prepare(config_arg())
        done = actions.reassign(
            runtime,
            case_id=case_id,
            obligation_key=obligation,
            actor=_actor(by),
            at=utc_now(),
            to_person=to,
            reason=reason,
        )
    _report(done, as_json)


@app.command("escalate")
def escalate_obligation(
    case_id: int = typer.Argument(..., help="案件编号"),
    obligation: str = typer.Option(..., "--obligation", help="事项代码"),
    reason: str = typer.Option("", "--reason", help="上报理由"),
    by: str = typer.Option(None, "--by", help="上报人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """上报：事项的催办链立即上升一级并通知该级人员。"""
    with refusals():
        runtime = prepare(config_arg())
        done = actions.escalate_now(
            runtime,
            case_id=case_id,
            obligation_key=obligation,
            actor=_actor(by),
            at=utc_now(),
            reason=reason,
        )
    _report(done, as_json)


@app.command("upgrade")
def upgrade_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    grade: str = typer.Option(None, "--grade", help="升至等级（默认升一级）"),
    reason: str = typer.Option("", "--reason", help="升级理由"),
    by: str = typer.Option(None, "--by", help="操作人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """升级：未完成事项的时限按新等级缩短，并通知督办链第一级。"""
    with refusals():
        runtime = prepare(config_arg())
        done = actions.upgrade(
            runtime, case_id=case_id, actor=_actor(by), at=utc_now(), reason=reason, grade=grade
        )
    _report(done, as_json)


@app.command("downgrade")
def downgrade_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    approver: str = typer.Option("", "--approver", help="审批人（须为他人）"),
    grade: str = typer.Option(None, "--grade", help="降至等级（默认降一级）"),
    reason: str = typer.Option("", "--reason", help="降级理由"),
    by: str = typer.Option(None, "--by", help="操作人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """降级：须说明理由并经审批人同意；已有时限不会延长。"""
    with refusals():
        runtime = prepare(config_arg())
        done = actions.downgrade(
            runtime,
            case_id=case_id,
            actor=_actor(by),
            at=utc_now(),
            reason=reason,
            approver=approver,
            grade=grade,
        )
    _report(done, as_json)


@app.command("close")
def close_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    reason: str = typer.Option("", "--reason", help="办结说明"),
    by: str = typer.Option(None, "--by", help="操作人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """办结：案件进入办结阶段，其余未完成事项取消，开始总结评估计时。"""
    with refusals():
        runtime = prepare(config_arg())
        done = actions.close(
            runtime, case_id=case_id, actor=_actor(by), at=utc_now(), reason=reason
        )
    _report(done, as_json)


@app.command("reopen")
def reopen_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    reason: str = typer.Option("", "--reason", help="重新打开理由"),
    by: str = typer.Option(None, "--by", help="操作人（默认：当前系统用户）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """重新打开：善后观察期内已办结的案件回到跟踪阶段。"""
    with refusals():
        runtime = prepare(config_arg())
        done = actions.reopen(
            runtime, case_id=case_id, actor=_actor(by), at=utc_now(), reason=reason
        )
    _report(done, as_json)


def _actor(by: str | None) -> str:
    return by or getpass.getuser()


def _report(done: actions.ActionResult, as_json: bool) -> None:
    if as_json:
        print_json(done.data)
        return
    console.print(escape(done.message))


@app.command("register")
def register_case(
    title: str = typer.Option(..., "--title", help="标题（如：市民来电反映某中学食堂问题）"),
    text: str = typer.Option("", "--text", help="内容摘要"),
    url: str = typer.Option(None, "--url", help="原帖链接（如有）"),
    by: str = typer.Option(None, "--by", help="登记人（默认：当前系统用户）"),
    category: str = typer.Option(
        None, "--category", help="inquiry | hype | rumour | suggestion | corruption"
    ),
    clicks: int = typer.Option(0, "--clicks", min=0, help="点击量"),
    comments: int = typer.Option(0, "--comments", min=0, help="评论数"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """人工登记（市民来电、信访、网信办转办等）：总会立案，或并入相似的未结案件。"""
    with refusals():
        if not title.strip():
            raise CaseError("标题不能为空 (--title is empty)")
        if category not in (None, *CATEGORIES):
            raise CaseError(f"未知类别 {category!r}，可选：{', '.join(CATEGORIES)}")
        runtime = prepare(config_arg())
        actor = by or getpass.getuser()
        with session_scope(runtime.engine) as session:
            intake = register_manual_item(
                session,
                title=title.strip(),
                text=text,
                actor=actor,
                topics=runtime.topics,
                policy=runtime.policy,
                calendar=runtime.calendar,
                now=utc_now(),
                url=url,
                category=category,
                clicks=clicks,
                comments=comments,
            )
    if as_json:
        print_json(
            {"case_id": intake.case_id, "item_id": intake.item_id, "created": intake.created}
        )
        return
    console.print(f"已登记：信息 {intake.item_id} → 案件 {intake.case_id}（登记人 {actor}）")
