"""The `yuqing` command line: the demo, the serve process, configuration and database upkeep,
one-off collection and sweep runs, and the `case`, `policy` and `channels` command groups. Exit
codes: 0 done, 2 refused (bad input, broken configuration, not allowed), with the reason
printed.

Starting a command costs only what it uses: this module and the command modules import typer,
rich and the standard library at the top, and everything else (the database, Prefect, the
report writers) inside the command that needs it (`tests/unit/test_quick_cli.py` keeps it so)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from yuqing import cli_calendar, cli_case, cli_channels, cli_policy, cli_report, cli_status
from yuqing.cli_common import (
    AT,
    State,
    config_arg,
    console,
    errors,
    flow_api,
    now,
    parse_at,
    print_json,
    refusals,
    shown,
)
from yuqing.web import cli as web_cli

app = typer.Typer(
    help="yuqing：网络舆情案件的发现、分级、时限与催办 (public-opinion cases)",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="配置 (configuration)", no_args_is_help=True)
db_app = typer.Typer(help="数据库 (database)", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(cli_case.app, name="case")
app.add_typer(cli_policy.app, name="policy")
app.add_typer(cli_report.app, name="report")
app.add_typer(cli_channels.app, name="channels")
app.add_typer(cli_calendar.app, name="calendar")
app.add_typer(web_cli.app, name="web")
app.command("status")(cli_status.status)


@app.callback()
def main_options(
    config: Path = typer.Option(
        None, "--config", "-c", envvar="YUQING_CONFIG", help="配置文件（默认 ./yuqing.toml）"
    ),
    at: str = typer.Option(
        None, "--at", help="按此时间办理（演练、演示与测试；ISO 时间，须带时区，默认当前时间）"
    ),
) -> None:
    State.config = config
    State.at = None if at is None else parse_at(at)


@config_app.command("check")
def config_check(file: Path = typer.Argument(None, help="要检查的配置文件"), at: str = AT) -> None:
    """检查配置文件：全部正确退出 0，否则列出每个问题（字段路径 + 原因）并退出 2。"""
    from yuqing.config_check import check_configuration

    path = file or State.config or Path("yuqing.toml")
    report = check_configuration(path, now=now())
    for warning in report.warnings:
        errors.print(f"[yellow]⚠[/yellow] {shown(warning)}")
    for problem in report.problems:
        errors.print(f"[red]✗[/red] {shown(problem)}")
    if report.problems:
        raise typer.Exit(2)
    console.print(f"[green]✓[/green] {shown(str(path))}：配置有效（{shown(report.summary)}）")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库迁移到最新结构。"""
    from models.store.db import upgrade_database
    from settings import load_settings

    with refusals():
        settings = load_settings(State.config)
        upgrade_database(settings.database_url())
    console.print("数据库已是最新结构")


@app.command()
def collect(
    source: str = typer.Option(None, "--source", help="只采集这个来源"), at: str = AT
) -> None:
    """立即运行一次采集。"""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from flows.collect import collect as collect_flow

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with refusals(), flow_api(), Progress(*columns, console=errors, transient=True) as progress:
        progress.add_task(f"采集中：{source or '全部来源'}…", total=None)
        summary = collect_flow(config=config_arg(), at=State.at, source_id=source, force=True)
    for run in [*summary["sources"], *summary["failed"]]:
        mark = "[red]✗[/red]" if "error" in run and "status" not in run else "[green]✓[/green]"
        errors.print(f"{mark} {run['source']}: {run.get('status', run.get('error'))}")
    print_json(summary)
    if summary["failed"]:
        raise typer.Exit(1)


@app.command()
def sweep(at: str = AT) -> None:
    """立即检查一次到期时限并发送催办通知。"""
    from flows.sweep import sweep as sweep_flow

    with refusals(), flow_api():
        print_json(sweep_flow(config=config_arg(), at=State.at))


@app.command()
def demo(
    keep: Path = typer.Option(None, "--keep", help="把演示的配置和数据库保留在这个目录"),
) -> None:
    """演示：本地订阅源 + 本地接收端，快进时钟，完整走一遍案件。收到告警则退出 0。"""
    from yuqing.demo import run_demo

    with refusals():
        code = run_demo(keep=keep)
    raise typer.Exit(code)


@app.command()
def serve() -> None:
    """按计划运行采集和时限检查，并提供控制台，直到 Ctrl-C。"""
    progress_line("正在启动 yuqing serve…")
    config = config_arg()

    def start_web(_runtime: object, poke: Callable[[int], None], act_token: str) -> Any:
        # The console's modules are imported once sending runs: they take seconds.
        from yuqing.web.server import start_web_thread

        return start_web_thread(config, after_change=poke, act_token=act_token)

    # Ctrl-C is how an operator stops serve: a clean exit, not an error.
    with refusals(), contextlib.suppress(KeyboardInterrupt):
        from deployments.serve import serve_forever

        serve_forever(config, start_web=start_web, say=progress_line)
    console.print("yuqing serve 已停止")


@app.command()
def worker(
    pool: str = typer.Option(None, "--pool", help="工作池（默认 serve.work_pool，否则 yuqing）"),
    limit: int = typer.Option(2, "--limit", min=1, max=64, help="同时运行的流程数"),
    name: str = typer.Option(None, "--name", help="worker 名称（默认：主机名-进程号）"),
) -> None:
    """分布式部署：作为 Prefect 工作池的 worker，运行采集、后备检查、催办与重跑，直到 Ctrl-C。"""
    from deployments.worker import run_worker

    with refusals(), contextlib.suppress(KeyboardInterrupt):
        run_worker(State.config, pool=pool, limit=limit, name=name, say=progress_line)
    console.print("yuqing worker 已停止")


def progress_line(text: str) -> None:
    console.print(f"▶ {text}")


def main() -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # Every command picks its Prefect API itself (`flow_api`); a path that forgot would get
    # Prefect's temporary server, whose start-up limit fails on a busy machine: refuse it.
    os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "false")
    app()
