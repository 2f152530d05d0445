"""`yuqing status`: the health of the whole setup on one screen (`deployments.status`): serve, the
database, the dispatchers, the pool's workers, Prefect's API, the channels, the people no channel
reaches, the fault states serve has open, stuck cases and reports, the last sweep and the next
due time. Exit 0 when nothing is down, 1 when something is (for monitoring), 2 for a
configuration that cannot be read. `--json` gives the same as the console's `/healthz`."""

from __future__ import annotations

import typer
from rich.markup import escape

from yuqing.cli_common import config_arg, console, print_json, refusals

MARKS = {(True, False): "[green]✓[/green]", (False, True): "[red]✗[/red]"}
MARKS[(False, False)] = "[yellow]![/yellow]"  # a warning: not down


def status(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """整套系统的运行状况（serve、数据库、发送、Prefect、渠道、故障、卡住的事项）；有故障退出 1。"""
    from pathlib import Path

    from deployments.status import gather
    from models.policy.clocks import utc_now
    from settings import load_settings
    from tasks.runtime import build_runtime

    with refusals():
        config = config_arg()
        runtime = build_runtime(load_settings(Path(config) if config else None))
        report = gather(runtime, now=utc_now())
        runtime.engine.dispose()
    if as_json:
        print_json(report.to_json())
    else:
        for check in report.checks:
            mark = MARKS[(check.ok, check.down)]
            console.print(f"{mark} {check.name}：{escape(check.detail)}")
        console.print("有故障" if report.down else "运行正常")
    if report.down:
        raise typer.Exit(1)
