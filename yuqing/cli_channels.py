"""`yuqing channels status`: every notification channel's health (the circuit breaker of
`notifications.health`), who uses it, its address in privacy form, the last success and
failure, when a channel that is down will be probed, and the alerts waiting on it. A table, or
`--json`; exit 0, or 2 with the reason for a broken configuration."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from yuqing.cli_common import config_arg, console, print_json, refusals

if TYPE_CHECKING:
    from notifications.channel_status import ChannelStatus

app = typer.Typer(help="通知渠道 (channels)", no_args_is_help=True)
STYLE = {"up": "green", "down": "red", "probing": "yellow", "unknown": "dim"}


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """各通知渠道的健康状况：正常、故障（已熔断）或探测中，以及待发送的通知数。"""
    from models.store.db import session_scope
    from notifications.channel_status import channel_report
    from tasks.runtime import prepare

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
    for row in report:
        _print(row, tz)
    down = [row.channel for row in report if row.state == "down"]
    if down:
        console.print(
            f"[red]故障渠道[/red]：{'、'.join(down)}（新通知改用使用人的下一渠道，没有下一渠道的等到探测时间）"
        )


def _print(row: ChannelStatus, tz: ZoneInfo) -> None:
    """One channel as a few short lines (any terminal width)."""
    style = STYLE[row.state]
    people = "、".join(row.people) or "无人使用"
    console.print(
        f"[bold]{escape(row.channel)}[/bold]（{escape(people)}） "
        f"[{style}]{row.state_label}[/{style}]"
        + (f"，连续失败 {row.failures} 次" if row.failures else "")
    )
    console.print(f"  地址：{escape(row.address)}")
    failure = _when(row.last_failure_at, tz)
    if row.last_outcome:
        failure += f" {row.last_outcome}" + (f"：{row.last_reason}" if row.last_reason else "")
    console.print(f"  最近成功：{_when(row.last_ok_at, tz)}；最近失败：{escape(failure)}")
    probe = f"下次探测：{_when(row.retry_at, tz)}；" if row.retry_at else ""
    console.print(f"  {probe}累计成功 {row.sent}、失败 {row.failed}；待发送 {row.waiting} 条")


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return "—" if at is None else at.astimezone(tz).strftime("%m-%d %H:%M:%S")
