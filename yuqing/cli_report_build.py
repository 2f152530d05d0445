"""`yuqing report <kind>` (daily, weekly, monthly, quarterly, halfyear, annual) and `yuqing report
quick`: build a report for a period to a file or the screen, or the quick-report document of a
case, and optionally send it. A long build shows its steps on stderr; a refusal (a period, unit,
grade or format that cannot be used) exits 2 with the reason; a build that fails exits 1 and is
on the stuck list (`yuqing report rerun`). Registered on the `report` command group by
`yuqing.cli_report`, whose other commands share `failures`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from models.reports.periods import (
    KIND_LABELS,
    Period,
    PeriodError,
    ReportKind,
    local_day,
    parse_period,
)
from yuqing.cli_common import AT, config_arg, console, errors, refusals, who_acts
from yuqing.cli_common import now as now_

if TYPE_CHECKING:  # the rest is imported by the commands that use it (a quick --help)
    from datetime import datetime

    from tasks.reports.build import Built, Filters
    from tasks.runtime import Runtime

SUFFIXES = {".xlsx": "xlsx", ".csv": "csv", ".md": "md", ".json": "json"}


@contextmanager
def failures() -> Iterator[None]:
    """Refusals exit 2 (`refusals`); a report that could not be built exits 1, kept as stuck."""
    with refusals():
        try:
            yield
        except PeriodError as exc:
            errors.print(f"[red]无法执行[/red] {exc}")
            raise typer.Exit(2) from None
        except Exception as exc:
            reports = sys.modules.get("tasks.reports.build")  # loaded: the only way it was raised
            if reports is None or not isinstance(exc, reports.ReportFailed):
                raise
            errors.print(f"[red]{escape(str(exc))}[/red]")
            errors.print(f"已记录为待重跑：yuqing report rerun {exc.report_id}")
            raise typer.Exit(1) from None


def _format(fmt: str | None, out: Path | None) -> str:
    from models.reports.formats import FORMATS

    if fmt is not None:
        if fmt not in FORMATS:
            raise PeriodError(f"--format 只能是 {'、'.join(FORMATS)}，而不是 {fmt!r}")
        return fmt
    if out is not None:
        return SUFFIXES.get(out.suffix.lower(), "xlsx")
    return "md"


def _check_filters(runtime: Runtime, filters: Filters) -> Filters:
    from models.parse.topics import CATEGORIES
    from tasks.reports.build import Filters

    units = {u.id for u in runtime.settings.units}
    if filters.unit is not None and filters.unit not in units:
        raise PeriodError(f"--unit：没有单位 {filters.unit!r}（可选：{'、'.join(sorted(units))}）")
    if filters.category is not None and filters.category not in CATEGORIES:
        raise PeriodError(f"--category 只能是 {'、'.join(CATEGORIES)}")
    grade = runtime.policy.scheme.level(filters.grade).id if filters.grade else None
    return Filters(filters.unit, grade, filters.category)


def _write(content: bytes, fmt: str, out: Path | None) -> None:
    if out is None:
        if fmt in ("xlsx",):
            raise PeriodError("xlsx 文件须用 --out 指定保存路径，例如 --out ledger.xlsx")
        typer.echo(content.decode("utf-8-sig"))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task("准备…", total=None)
        yield lambda text: progress.update(task, description=text)


@dataclass(frozen=True)
class Asked:
    """The options a `yuqing report <kind>` command was given."""

    date: str | None
    month: str | None
    year: str | None
    unit: str | None
    grade: str | None
    category: str | None
    fmt: str | None
    table: str | None
    out: Path | None
    send: bool
    by: str | None


def build_command(kind: ReportKind) -> Callable[..., None]:
    """The `yuqing report <kind>` command: its options, its help, and `_build`."""

    def command(
        date: str = typer.Option(None, "--date", help="包含该日的期间，如 2026-11-22"),
        month: str = typer.Option(None, "--month", help="月份，如 2026-11"),
        year: str = typer.Option(None, "--year", help="年份，如 2026（年度报告）"),
        unit: str = typer.Option(None, "--unit", help="只统计该单位负责的案件"),
        grade: str = typer.Option(None, "--grade", help="只统计该等级，如 一级"),
        category: str = typer.Option(None, "--category", help="只统计该类别"),
        fmt: str = typer.Option(None, "--format", help="xlsx|csv|md|json（默认按 --out 后缀）"),
        table: str = typer.Option(None, "--table", help="CSV 输出哪张表（默认主表）"),
        out: Path = typer.Option(None, "--out", help="保存到文件；不给则输出到屏幕"),
        send: bool = typer.Option(False, "--send", help="生成后发给该报告的接收人"),
        by: str = typer.Option(
            None,
            "--by",
            help="填表人：人员编号或姓名（默认：[cli] operator，否则 [reports] filled_by）",
        ),
        at: str = AT,
    ) -> None:
        _build(kind, Asked(date, month, year, unit, grade, category, fmt, table, out, send, by))

    command.__doc__ = (
        f"生成{KIND_LABELS[kind]}；--send 发给接收人（邮件带附件，其他渠道带下载链接）。"
    )
    return command


def _build(kind: ReportKind, asked: Asked) -> None:
    """Build the report asked for, write it where asked, and send it when asked."""
    from models.repo.cases import CLI_ACTOR
    from tasks.reports.build import Filters
    from tasks.reports.context import filler_for
    from tasks.reports.send import send_report
    from tasks.runtime import prepare

    with failures():
        runtime = prepare(config_arg())
        who = filler_for(runtime.settings, who_acts(runtime, asked.by).person)
        now = now_()
        today = local_day(now, runtime.settings.tz)
        period = parse_period(kind, day=asked.date, month=asked.month, year=asked.year, today=today)
        fmt = _format(asked.fmt, asked.out)
        filters = _check_filters(runtime, Filters(asked.unit, asked.grade, asked.category))
        if fmt == "xlsx" and asked.out is None:
            raise PeriodError("xlsx 文件须用 --out 指定保存路径，例如 --out ledger.xlsx")
        built = _built(runtime, kind, period, fmt, now, who or CLI_ACTOR, filters, asked.table)
        _write(built.content, fmt, asked.out)
        if asked.out is not None:
            size = len(built.content)
            console.print(f"已生成 {asked.out}（报告编号 {built.report_id}，{size} 字节）")
        if asked.send:
            _sent(send_report(runtime, built.report_id, now=now))


def _built(
    runtime: Runtime,
    kind: ReportKind,
    period: Period,
    fmt: str,
    now: datetime,
    by: str,
    filters: Filters,
    table: str | None,
) -> Built:
    """The report built and stored, its steps shown on stderr while it builds."""
    from tasks.reports.build import build_report

    with _progress() as say:
        say(f"生成{KIND_LABELS[kind]}（{period.label}）…")
        return build_report(
            runtime,
            kind=kind,
            period=period,
            format=fmt,
            now=now,
            requested_by=by,
            filters=filters,
            table=table,
            say=say,
        )


def _sent(result: dict[str, Any]) -> None:
    who = "、".join(result["recipients"]) or "无"
    line = f"已发送：接收人 {who}；送达 {result['sent']} 条，失败 {result['failed']} 条"
    if result["unreachable"]:
        line += f"；未配置渠道：{'、'.join(result['unreachable'])}"
    console.print(escape(line))


def quick(
    case_id: int = typer.Argument(..., help="案件编号"),
    gist: str = typer.Option("", "--gist", help="网友留言大概内容（默认摘录采集到的信息）"),
    out: Path = typer.Option(None, "--out", help="保存 .docx 到文件"),
    send: bool = typer.Option(False, "--send", help="发给快报对象（附文档）"),
    by: str = typer.Option(
        None, "--by", help="报送人：人员编号或姓名（默认 [cli] operator，否则 [reports] filled_by）"
    ),
    at: str = AT,
) -> None:
    """生成案件的舆情快报（.docx，A4，含网络名、舆情信息、网友留言大概内容、出处、类别、等级）。
    同一案件再次生成沿用原期号。"""
    from models.repo.cases import CLI_ACTOR
    from models.repo.reports.store import get_report
    from models.store.db import session_scope
    from tasks.reports.context import filler_for
    from tasks.reports.quick import build_quick, send_quick
    from tasks.runtime import prepare

    with failures():
        runtime = prepare(config_arg())
        who = filler_for(runtime.settings, who_acts(runtime, by).person) or CLI_ACTOR
        moment = now_()
        if send:
            result = send_quick(runtime, case_id=case_id, now=moment, by=who, gist=gist)
            report_id = int(result["report_id"])
        else:
            report_id = build_quick(
                runtime, case_id=case_id, now=moment, by=who, gist=gist
            ).report_id
        with session_scope(runtime.engine) as session:
            report = get_report(session, report_id)
            content, name = report.content or b"", report.filename
        target = out or Path(name)
        target.write_bytes(content)
        console.print(f"已生成快报 {report.label}：{target}（报告编号 {report_id}）")
        if send:
            _sent(result)
