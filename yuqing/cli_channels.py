"""`yuqing channels status`: every notification channel's health (the circuit breaker of
`notifications.health`), who uses it, its address in privacy form, the last success and
failure, when a channel that is down will be probed, and the alerts waiting on it. A table, or
`--json`; exit 0, or 2 with the reason for a broken configuration."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from models.store.db import session_scope
from notifications.channel_status import ChannelStatus, channel_report
from tasks.runtime import prepare
from yuqing.cli_common import config_arg, console, print_json, refusals

app = typer.Typer(help="通知渠道 (channels)", no_args_is_help=True)
STYLE = {"up": "green", "down": "red", "probing": "yellow", "unknown": "dim"}


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """各通知渠道的健康状况：正常、故障（已熔断）或探测中，以及待发送的通知数。"""
    with refusals():
        runtime = prepare(config_arg())
        with session_scope(runtime.engine) as session:
            report = channel_report(session, runtime.settings)
    if as_json:
        print_json([row.as_dict() for row in report])
        return
    if not report:
        console.print("没有配置通知渠道")
        return
    tz = runtime.settings.tz
    table = Table(title="通知渠道")
    for heading in (
        "渠道",
        "使用人",
        "地址",
        "状态",
        "连续失败",
        "最近成功",
        "最近失败",
        "下次探测",
        "待发送",
    ):
        table.add_column(heading)
    for row in report:
        table.add_row(*_cells(row, tz))
    console.print(table)
    down = [row.channel for row in report if row.state == "down"]
    if down:
        console.print(f"[red]故障渠道[/red]：{'、'.join(down)}（新通知直接改用使用人的下一渠道）")


def _cells(row: ChannelStatus, tz: ZoneInfo) -> list[str]:
    failure = _when(row.last_failure_at, tz)
    if row.last_outcome:
        failure += f" {row.last_outcome}"
        failure += f"：{row.last_reason}" if row.last_reason else ""
    return [
        escape(row.channel),
        escape("、".join(row.people) or "—"),
        escape(row.address),
        f"[{STYLE[row.state]}]{row.state_label}[/{STYLE[row.state]}]",
        str(row.failures),
        _when(row.last_ok_at, tz),
        escape(failure),
        _when(row.retry_at, tz),
        str(row.waiting),
    ]


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return "—" if at is None else at.astimezone(tz).strftime("%m-%d %H:%M:%S")
