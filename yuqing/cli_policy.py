"""`yuqing policy ...`: list the bundled presets, show a policy's grade × obligation matrix,
explain when every obligation of a grade falls due from a given moment, and check a policy
file. Bad input prints the reason in Simplified Chinese and exits 2, never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.policy import (
    Clock,
    ObligationRule,
    Policy,
    PolicyError,
    PolicyInvalid,
    WorkCalendar,
    due_at,
)
from models.policy.policy import describe_duration
from yuqing.cli_common import State

# The presets, the calendar file and the settings are imported by the commands that read them.

app = typer.Typer(help="处置策略：预设、时限矩阵、到期时间 (policies)", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

PRESET_OPT = typer.Option(None, "--preset", "-p", help="预设编号，如 default、s1-4")
FILE_OPT = typer.Option(None, "--file", "-f", help="策略文件（TOML）")
SET_OPT = typer.Option(
    None, "--set", help="覆盖策略中的值，如 obligations.g1.upward_report.duration=2h（可重复）"
)
JSON_OPT = typer.Option(False, "--json", help="输出 JSON")
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@contextmanager
def refusals() -> Iterator[None]:
    """Turn policy errors into a message on stderr and exit code 2."""
    try:
        yield
    except PolicyInvalid as exc:
        where = f"{exc.origin}：" if exc.origin else ""
        errors.print(f"[red]✗[/red] {escape(where)}策略无效，共 {len(exc.problems)} 处问题")
        for problem in exc.problems:
            errors.print(f"  - {escape(problem)}")
        raise typer.Exit(2) from None
    except PolicyError as exc:
        errors.print(f"[red]无法执行[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except Exception as exc:
        settings = sys.modules.get("settings.base")  # loaded: the only way it was raised
        if settings is None or not isinstance(exc, settings.SettingsError):
            raise
        for problem in exc.problems:
            errors.print(f"[red]配置错误[/red] {escape(problem)}")
        raise typer.Exit(2) from None


def _overrides(pairs: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise PolicyError(f"--set 须写成 路径=值：{pair!r}")
        out[key.strip()] = int(value) if value.strip().isdigit() else value.strip()
    return out


def _policy(preset: str | None, file: Path | None, pairs: list[str] | None) -> Policy:
    from models.store.presets import load_policy_file, load_preset

    if preset and file:
        raise PolicyError("--preset 与 --file 只能选一个")
    if file is not None:
        return load_policy_file(file, _overrides(pairs))
    return load_preset(preset or "default", _overrides(pairs))


def _parse_at(text: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PolicyError(f"无法识别的时间 {text!r}，请用 ISO 8601，如 2026-09-30T16:00") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _local_text(iso: str) -> str:
    """``2026-03-10T00:00+08:00`` → ``2026-03-09 24:00 周一`` (the day a deadline ends)."""
    due = datetime.fromisoformat(iso)
    if due.time() == time(0):
        day = due - timedelta(days=1)
        return f"{day:%Y-%m-%d} 24:00 {WEEKDAYS[day.weekday()]}"
    return f"{due:%Y-%m-%d %H:%M} {WEEKDAYS[due.weekday()]}"


def _duration_iso(rule: ObligationRule) -> str:
    if rule.clock is Clock.wall and rule.duration is not None:
        minutes = int(rule.duration.total_seconds() // 60)
        hours, mins = divmod(minutes, 60)
        return "PT" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return f"P{rule.days}D"


@app.command("presets")
def presets(as_json: bool = JSON_OPT) -> None:
    """列出内置预设：编号、名称、所据种子方案。"""
    with refusals():
        from models.store.presets import list_presets

        infos = list_presets()
    if as_json:
        rows = [{"id": p.id, "title": p.title, "seed": p.seed} for p in infos]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("编号", "名称", "种子来源", title="内置处置策略预设")
    for info in infos:
        table.add_row(info.id, escape(info.title), escape(info.seed))
    console.print(table)


@app.command("show")
def show(
    preset: str = PRESET_OPT,
    file: Path = FILE_OPT,
    grade: str = typer.Option(None, "--grade", "-g", help="只显示某一等级，如 一级 或 g1"),
    pairs: list[str] = SET_OPT,
) -> None:
    """显示策略的“等级 × 义务”时限矩阵及督办规则。"""
    with refusals():
        policy = _policy(preset, file, pairs)
        grades = [policy.scheme.level(grade)] if grade else list(policy.scheme.by_rank())
    table = Table(
        "义务",
        "锚点",
        *(f"{g.label}（{g.id}）" for g in grades),
        title=escape(f"{policy.title} [{policy.id}]"),
    )
    for key in policy.rule_keys():
        cells, first = [], None
        for level in grades:
            rule = next((r for r in policy.obligations_for(level.id) if r.key == key), None)
            first = first or rule
            cells.append(escape(f"{rule.describe()}\n{rule.source}") if rule else "—")
        if first is not None:
            table.add_row(escape(f"{first.title}\n{key}"), first.anchor.value, *cells)
    esc = [policy.escalation_for(g.id) for g in grades]
    table.add_row("签收时限", "", *(describe_duration(e.ack_window) for e in esc))
    table.add_row("逐级督办间隔", "", *(describe_duration(e.repeat_interval) for e in esc))
    console.print(table)
    for rung in policy.chain:
        console.print(f"督办第{rung.level}级：{escape(rung.label)}（{', '.join(rung.roles)}）")


def _explain_rows(
    policy: Policy, grade: str, at: datetime, calendar: WorkCalendar
) -> list[dict[str, Any]]:
    tz = ZoneInfo(policy.timezone)
    rows = []
    for rule in policy.obligations_for(grade):
        due = due_at(rule, at, calendar=calendar, tz=tz, closing_time=policy.closing_time)
        rows.append(
            {
                "obligation": rule.key,
                "title": rule.title,
                "anchor": rule.anchor.value,
                "clock": rule.clock.value,
                "duration": _duration_iso(rule),
                "days": rule.days,
                "amount": rule.describe(),
                "owner_role": rule.owner_role,
                "source": rule.source,
                "due_at": due.at.astimezone(tz).isoformat(),
                "provisional": due.provisional,
            }
        )
    return rows


@app.command("explain")
def explain(
    grade: str = typer.Option(..., "--grade", "-g", help="等级，如 一级、g1、红"),
    at: str = typer.Option(..., "--at", help="锚点时刻（ISO 8601；无时区按策略时区）"),
    preset: str = PRESET_OPT,
    file: Path = FILE_OPT,
    as_json: bool = JSON_OPT,
    pairs: list[str] = SET_OPT,
) -> None:
    """假定所有锚点事件都发生在 --at，列出该等级每项义务的截止时间。"""
    with refusals():
        policy = _policy(preset, file, pairs)
        level = policy.scheme.level(grade)
        moment = _parse_at(at, ZoneInfo(policy.timezone))
        from models.store.calendar_file import load_calendar
        from settings import load_settings

        calendar = load_calendar(load_settings(State.config).calendar.file)
        rows = _explain_rows(policy, level.id, moment, calendar)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=escape(f"{policy.title}：{level.label}，锚点 {moment.isoformat()}"))
    table.add_column("义务")
    table.add_column("锚点")
    table.add_column("时限", no_wrap=True)
    table.add_column(f"截止（{policy.timezone}）", no_wrap=True)
    table.add_column("依据")
    for row in rows:
        table.add_row(
            escape(f"{row['title']}\n{row['obligation']}"),
            row["anchor"],
            escape(row["amount"]),
            _local_text(row["due_at"]),
            escape(row["source"]),
        )
    console.print(table)


@app.command("roles")
def roles(preset: str = PRESET_OPT, file: Path = FILE_OPT) -> None:
    """每个角色看到什么、可以办理什么（Markdown 表格；审批角色按策略）。"""
    from models.policy.permissions import role_table

    with refusals():
        policy = _policy(preset, file, None)
        approvers = {r for by in policy.approvers.values() for rs in by.values() for r in rs}
    for line in role_table(approvers):
        typer.echo(line)


@app.command("check")
def check(
    file: Path = typer.Argument(..., help="要检查的策略文件（TOML）"),
    pairs: list[str] = SET_OPT,
) -> None:
    """检查策略文件：全部正确退出 0，否则列出每个问题并退出 2。"""
    with refusals():
        from models.store.presets import load_policy_file

        policy = load_policy_file(file, _overrides(pairs))
    count = sum(len(rules) for rules in policy.obligations.values())
    console.print(
        f"[green]✓[/green] {escape(str(file))}：策略有效（{policy.id}，"
        f"{len(policy.scheme.levels)} 个等级，{count} 项时限）"
    )
