"""`yuqing case ...`: list cases, show one with its deadlines and timeline, register one by hand,
the case library (案例库, `yuqing.cli_library`), the stuck list and re-runs; the actions on a
case are in `yuqing.cli_act`. Everything a person sees is in Simplified Chinese; `--json` gives
the data; a refusal exits 2 with the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from models.policy.catalogue import CATALOGUE
from yuqing import cli_act, cli_archive, cli_library, cli_register, cli_rerun
from yuqing.cli_common import AT, config_arg, console, print_json, refusals, who_acts

if TYPE_CHECKING:  # the rest is imported by the commands that use it (a quick --help)
    from datetime import tzinfo

    from sqlmodel import Session

    from models.store.tables import Case, Obligation
    from tasks.runtime import Runtime

SEEN_BY = "只显示此人（人员编号或姓名）职责范围内的案件（默认：[cli] operator，未配置则全部）"

STATUS_LABELS = {
    "open": "待办",
    "completed": "已完成",
    "cancelled": "已取消",
    "waived": "不需要",
}
CLOCK_LABELS = {"wall": "自然时间", "calendar_days": "自然日", "working_days": "工作日"}

app = typer.Typer(help="案件：列表、详情、登记与办理 (cases)", no_args_is_help=True)
app.command("rerun")(cli_rerun.rerun_case)
app.command("archive")(cli_archive.archive)
REGISTER_HELP = CATALOGUE["register"].summary + "；时限从预案规定的起算点（发现、发帖或发生）起算。"
app.command("register", help=REGISTER_HELP)(cli_register.register_case)
cli_act.register(app)


def _case_data(runtime: Runtime, case: Case, *, full: bool) -> dict[str, Any]:
    from models.policy.stages import STAGE_LABELS
    from models.policy.states import category_label
    from models.repo.cases import case_obligations
    from models.repo.unreachable import on_case
    from models.store.db import session_scope

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
            "posted_at": case.posted_at,
            "occurred_at": case.occurred_at,
            "closed_at": case.closed_at,
            "obligations": [_obligation_data(runtime, session, o) for o in obligations],
            "unreachable": [u.as_dict() for u in on_case(session, case.id)],
        }
        data["category_label"] = category_label(case.category)
        if full:
            data |= _case_record(runtime, session, case)
    return data


def _obligation_data(runtime: Runtime, session: Session, o: Obligation) -> dict[str, Any]:
    from models.policy.wording import deadline_text
    from models.repo.cases import who

    return {
        "key": o.key,
        "title": o.title,
        "clock": o.clock,
        "anchor": o.anchor,
        "anchor_at": o.anchor_at,
        "due_at": o.due_at,
        "status": o.status.value,
        "level": o.level,
        "provisional": o.provisional,
        "acked_at": o.acked_at,
        "acked_by": o.acked_by,
        "acked_by_name": who(session, o.acked_by) if o.acked_by else None,
        "due_text": deadline_text(o.due_at, runtime.settings.tz),
    }


def _case_record(runtime: Runtime, session: Session, case: Case) -> dict[str, Any]:
    """What `show` adds: the items, the timeline, the units and the leaders' instructions."""
    from models.repo.cases import case_items, case_timeline, who
    from models.repo.instructions import instruction_lines

    assert case.id is not None
    return {
        "items": [
            {"url": i.url, "title": i.title, "clicks": i.clicks, "comments": i.comments}
            for i in case_items(session, case.id)
        ],
        "timeline": [
            {
                "at": e.at,
                "kind": e.kind.value,
                "actor": e.actor,
                "actor_name": who(session, e.actor),
                "message": e.message,
            }
            for e in case_timeline(session, case.id)
        ],
        "units": list(case.units),
        "instructions": instruction_lines(session, case.id, runtime.settings.tz),
    }


@app.command("list")
def list_cases(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    include_closed: bool = typer.Option(False, "--all", help="包括已办结案件"),
    stuck: bool = typer.Option(False, "--stuck", help="只列卡住的案件（步骤失败或时限、通知停摆）"),
    by: str = typer.Option(None, "--by", help=SEEN_BY),
    at: str = AT,
) -> None:
    """列出案件（默认只列未办结的；--stuck 只列卡住的；--by 只列此人职责范围内的）。"""
    if stuck:
        cli_rerun.list_stuck(as_json)
        return
    from models.repo.cases import list_cases as query_cases
    from models.store.db import session_scope
    from tasks.runtime import prepare

    with refusals():
        runtime = prepare(config_arg())
        scope = _scope(runtime, by)
        with session_scope(runtime.engine) as session:
            cases = [
                c
                for c in query_cases(session, include_closed=include_closed)
                if scope is None or c.id in scope
            ]
        rows = [_case_data(runtime, case, full=False) for case in cases]
    if as_json:
        print_json(rows)
        return
    _print_list(runtime, rows)


def _print_list(runtime: Runtime, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from models.policy.wording import deadline_text

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
            deadline_text(nearest, tz) if nearest else "—",
            f"{len(open_ones)} 项待办",
        )
    console.print(table)


@app.command("show")
def show_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    by: str = typer.Option(None, "--by", help=SEEN_BY),
) -> None:
    """显示一个案件：信息来源、各项时限、完整时间线。"""
    from models.repo.access import Forbidden
    from tasks.runtime import prepare

    with refusals():
        runtime = prepare(config_arg())
        data = show_data(runtime, case_id)
        scope = _scope(runtime, by)
        if scope is not None and case_id not in scope:
            raise Forbidden(f"案件 {case_id} 不在 {by or '配置的操作人'} 的职责范围内，无权查看")
    if as_json:
        print_json(data)
        return
    print_case(runtime, data)


def _scope(runtime: Runtime, by: str | None) -> set[int] | None:
    """The cases the person acting sees (`--by`, else the configured operator); None: the
    command line without a person sees them all."""
    from sqlmodel import select

    from models.repo.access import scope_of, standing_of, visible
    from models.store.db import session_scope
    from models.store.tables import Case

    person = who_acts(runtime, by).person
    if person is None:
        return None
    with session_scope(runtime.engine) as session:
        seen = scope_of(standing_of(session, person), runtime.policy)
        return {i for i in session.exec(select(Case.id).where(visible(seen))).all() if i}


def show_data(runtime: Runtime, case_id: int) -> dict[str, Any]:
    from models.repo.cases import get_case
    from models.store.db import session_scope

    with session_scope(runtime.engine) as session:
        case = get_case(session, case_id)
    return _case_data(runtime, case, full=True)


def print_case(runtime: Runtime, data: dict[str, Any]) -> None:
    tz = runtime.settings.tz
    console.print(
        f"[bold]案件 {data['id']}：{escape(data['title'])}[/bold]  "
        f"{data['grade_label']} · 阶段：{data['stage_label']} · 类别：{data['category_label']}"
    )
    known = [
        f"{label} {data[key].astimezone(tz):%Y-%m-%d %H:%M}"
        for key, label in (
            ("discovered_at", "发现"),
            ("posted_at", "发帖"),
            ("occurred_at", "发生"),
        )
        if data[key] is not None
    ]
    console.print("时间：" + "，".join(known))
    _print_obligations(data["obligations"], tz)
    _print_unreachable(data["unreachable"], tz)
    for line in data.get("instructions", []):
        console.print(f"领导批示：{escape(line)}")
    console.print("[bold]时间线[/bold]")
    for event in data["timeline"]:
        console.print(f"  {event['at'].astimezone(tz):%m-%d %H:%M}  {escape(event['message'])}")


def _print_obligations(obligations: list[dict[str, Any]], tz: tzinfo) -> None:
    from rich.table import Table

    table = Table("事项", "计时", "截止", "状态", "催办级别", "签收")
    for o in obligations:
        acked = (
            f"{o['acked_by_name']} {o['acked_at'].astimezone(tz):%m-%d %H:%M}"
            if o["acked_at"]
            else ""
        )
        table.add_row(
            o["title"],
            CLOCK_LABELS.get(o["clock"], o["clock"]),
            o["due_text"] + ("（暂定）" if o["provisional"] else ""),
            STATUS_LABELS.get(o["status"], o["status"]),
            str(o["level"]),
            acked,
        )
    console.print(table)


def _print_unreachable(unreachable: list[dict[str, Any]], tz: tzinfo) -> None:
    for gone in unreachable:
        retry, since = gone["retry_at"], gone["since"].astimezone(tz)
        console.print(
            f"[red]无法联系[/red]：{escape(gone['name'])}（自 {since:%m-%d %H:%M}"
            f" 起所有通知渠道均发送失败，已重试 {gone['rounds']} 轮"
            + (f"，下次 {retry.astimezone(tz):%H:%M:%S}" if retry else "")
            + "；已告知办公室与值班人员）"
        )


app.command("library")(cli_library.library_cmd)  # after list and show: the order of --help
