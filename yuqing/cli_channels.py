"""`yuqing channels status`: every notification channel's health (the circuit breaker of
`notifications.health`), who uses it, its address in privacy form, the last success and
failure (with the platform's code and its meaning), when a channel that is down will be probed,
the alerts waiting on it, and the platforms' refusals by code. A table, or `--json`; exit 0, or
2 with the reason for a broken configuration.

`yuqing channels test NAME [--to PERSON]`: one test message through the channel, the platform's
answer printed for every attempt (outcome, code, meaning); exit 0 delivered, 2 not."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from yuqing.cli_common import config_arg, console, errors, now, print_json, refusals, shown

if TYPE_CHECKING:  # the rest is imported by the commands that use it (a quick --help)
    from notifications.channel_status import ChannelStatus
    from notifications.channels import Attempt

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
    refused = [refusal for row in report for refusal in row.refusals]
    if refused:
        console.print("平台拒收（按错误码）：")
        for refusal in refused:
            last = _when(refusal.last_at, tz)
            console.print(
                f"  {escape(refusal.channel)} 错误码 {escape(refusal.code)}："
                f"{escape(refusal.meaning)}，共 {refusal.count} 次，最近 {last}"
            )


@app.command("test")
def test(
    name: str = typer.Argument(..., help="渠道 ID（secrets.channels 中的名称）"),
    to: str = typer.Option(
        None, "--to", help="收件人（人员 ID 或姓名）：群里 @ 此人，短信发其手机"
    ),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """向渠道发送一条测试消息，并显示平台的应答（错误码及含义）。"""
    from models.repo.directory import find_person
    from models.store.db import session_scope
    from notifications.channels import privacy_url
    from notifications.health import breaker_rule
    from notifications.marking import mention_of
    from notifications.trial import record_trial, trial_envelope, try_channel
    from tasks.runtime import prepare

    with refusals():
        runtime = prepare(config_arg())
        url = runtime.channel_url(name)
        if url is None:
            errors.print(f"[red]无法执行[/red] 没有名为 {shown(name)} 的渠道（secrets.channels）")
            raise typer.Exit(2)
        mention = None
        if to:
            with session_scope(runtime.engine) as session:
                person = find_person(session, to)
                if person is None:
                    errors.print(f"[red]无法执行[/red] 名录中没有 {shown(to)}")
                    raise typer.Exit(2)
                mention = mention_of(person)
        at = now()
        stamp = at.astimezone(runtime.settings.tz).strftime("%Y-%m-%d %H:%M:%S")
        envelope = trial_envelope(name, to=mention, at=stamp, link=runtime.settings.web.base_url)
        attempts = try_channel(url, envelope)
        with session_scope(runtime.engine) as session:
            rule = breaker_rule(runtime.settings.dispatch)
            record_trial(session, name, attempts, at=at, rule=rule)
    _print_trial(name, privacy_url(url), attempts, as_json=as_json)
    if not attempts[-1].ok:
        raise typer.Exit(2)


def _print_trial(name: str, address: str, attempts: tuple[Attempt, ...], *, as_json: bool) -> None:
    from models.policy.sending import OUTCOME_LABELS

    if as_json:
        print_json(
            {
                "channel": name,
                "address": address,
                "delivered": attempts[-1].ok,
                "attempts": [
                    {"outcome": a.outcome.value, "http_status": a.status, "code": a.code,
                     "reason": a.reason}
                    for a in attempts
                ],
            }
        )  # fmt: skip
        return
    console.print(f"[bold]{escape(name)}[/bold]（{escape(address)}）")
    for n, attempt in enumerate(attempts, start=1):
        code = f"，错误码 {attempt.code}" if attempt.code is not None else ""
        http = f"，HTTP {attempt.status}" if attempt.status is not None else ""
        reason = f"：{attempt.reason}" if attempt.reason else ""
        style = "green" if attempt.ok else "red"
        console.print(
            f"  第{n}次：[{style}]{OUTCOME_LABELS[attempt.outcome]}[/{style}]{http}{code}"
            f"{escape(reason)}"
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
