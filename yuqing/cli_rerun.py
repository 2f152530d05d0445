"""`yuqing case list --stuck` and `yuqing case rerun ID`: list the cases whose last step failed or
whose deadlines or alerts are not live (`models.repo.rerun`), and re-run one through the
`rerun-case` flow, which repairs it without restarting a clock or repeating a delivered
alert. Registered on the `case` command group by `yuqing.cli_case`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from yuqing.cli_common import AT, config_arg, console, flow_api, now, print_json, refusals, who_acts

if TYPE_CHECKING:  # imported by the commands that use it (a quick --help)
    from models.repo.stuck import StuckCase


def list_stuck(as_json: bool) -> None:
    """Print the stuck cases (a table, or JSON with every finding)."""
    from models.policy.stages import STAGE_LABELS
    from models.repo.stuck import find_stuck
    from models.store.db import session_scope
    from tasks.runtime import prepare

    with refusals():
        runtime = prepare(config_arg())
        lease = timedelta(seconds=runtime.settings.dispatch.sending_lease_seconds)
        with session_scope(runtime.engine) as session:
            stuck = find_stuck(session, now=now(), policy=runtime.policy, lease=lease)
    rows: list[dict[str, Any]] = [
        {
            "id": s.case_id,
            "title": s.title,
            "grade": s.grade,
            "grade_label": runtime.policy.scheme.level(s.grade).label,
            "stage": s.stage.value,
            "stage_label": STAGE_LABELS[s.stage],
            "reasons": [r.value for r in s.reasons],
            "findings": [f.as_dict() for f in s.findings],
        }
        for s in stuck
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("没有卡住的案件")
        return
    _print_stuck(stuck, rows)


def _print_stuck(stuck: list[StuckCase], rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from models.repo.stuck import REASON_LABELS

    table = Table("编号", "等级", "阶段", "标题", "问题")
    for s, row in zip(stuck, rows, strict=True):
        problems = "\n".join(f"{REASON_LABELS[f.reason]}：{f.detail}" for f in s.findings)
        table.add_row(
            str(s.case_id),
            row["grade_label"],
            row["stage_label"],
            escape(s.title),
            escape(problems),
        )
    console.print(table)
    console.print(f"共 {len(rows)} 个案件卡住；用 yuqing case rerun 编号 重跑")


def rerun_case(
    case_id: int = typer.Argument(..., help="案件编号"),
    by: str = typer.Option(None, "--by", help="操作人：人员编号或姓名（默认：[cli] operator）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    at: str = AT,
) -> None:
    """重跑卡住的案件：按原起算时间补建缺失的时限、恢复计时、补发通知；不重新计时，不重复发送。"""
    from models.repo.cases import CLI_ACTOR, get_case
    from models.store.db import session_scope
    from tasks.runtime import prepare

    with refusals():
        runtime = prepare(config_arg())
        with session_scope(runtime.engine) as session:
            get_case(session, case_id)
        from flows.rerun import rerun_case as rerun_flow

        with flow_api():
            summary = rerun_flow(
                case_id=case_id,
                config=config_arg(),
                at=now(),
                actor=who_acts(runtime, by).person or CLI_ACTOR,
            )
    if as_json:
        print_json(summary)
        return
    console.print(escape(describe(summary)))


def describe(summary: dict[str, Any]) -> str:
    """One line for the operator: what was wrong, what was done, what was sent."""
    case_id, sweep, dispatch = summary["case_id"], summary["sweep"], summary["dispatch"]
    sent = f"催办 {sweep['levels_fired']} 级，发送通知 {dispatch['sent']} 条"
    if dispatch["failed"]:
        sent += f"，发送失败 {dispatch['failed']} 条"
    if not summary["stuck"]:
        return f"案件 {case_id} 无需修复；已检查到期时限与待发通知（{sent}）"
    return f"案件 {case_id} 已重跑：{summary['message']}；{sent}"
