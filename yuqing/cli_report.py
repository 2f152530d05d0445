"""`yuqing report ...`: build a report for a period (daily, weekly, monthly, quarterly, halfyear,
annual) to a file or the screen and optionally send it; the quick-report document of a case; the
stored reports (list, get); the stuck ones and their re-run; the accountability ledger and a
person's judgement of a lapse. A long build shows its steps on stderr; a refusal (a period,
unit, grade or format that cannot be used) exits 2 with the reason; a build that fails exits 1
and is on the stuck list (`yuqing report rerun`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from models.reports.periods import KIND_LABELS, PeriodError, ReportKind, local_day, parse_period
from yuqing import cli_ledger
from yuqing.cli_common import AT, config_arg, console, errors, print_json, refusals, who_acts
from yuqing.cli_common import now as now_

if TYPE_CHECKING:  # the rest is imported by the commands that use it (a quick --help)
    from tasks.reports.build import Filters
    from tasks.runtime import Runtime

app = typer.Typer(
    help="报告：每日汇总、周报、月度台账、半年与年度报告、快报、问责台账", no_args_is_help=True
)
app.command("ledger")(cli_ledger.ledger)
app.command("judge")(cli_ledger.judge)
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


def _build(kind: ReportKind) -> Callable[..., None]:
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
        from models.repo.cases import CLI_ACTOR
        from tasks.reports.build import Filters, build_report
        from tasks.reports.context import filler_for
        from tasks.reports.send import send_report
        from tasks.runtime import prepare

        with failures():
            runtime = prepare(config_arg())
            who = filler_for(runtime.settings, who_acts(runtime, by).person)
            now = now_()
            today = local_day(now, runtime.settings.tz)
            period = parse_period(kind, day=date, month=month, year=year, today=today)
            fmt_ = _format(fmt, out)
            filters = _check_filters(runtime, Filters(unit, grade, category))
            if fmt_ == "xlsx" and out is None:
                raise PeriodError("xlsx 文件须用 --out 指定保存路径，例如 --out ledger.xlsx")
            with _progress() as say:
                say(f"生成{KIND_LABELS[kind]}（{period.label}）…")
                built = build_report(
                    runtime,
                    kind=kind,
                    period=period,
                    format=fmt_,
                    now=now,
                    requested_by=who or CLI_ACTOR,
                    filters=filters,
                    table=table,
                    say=say,
                )
            _write(built.content, fmt_, out)
            if out is not None:
                console.print(
                    f"已生成 {out}（报告编号 {built.report_id}，{len(built.content)} 字节）"
                )
            if send:
                _sent(send_report(runtime, built.report_id, now=now))

    command.__doc__ = (
        f"生成{KIND_LABELS[kind]}；--send 发给接收人（邮件带附件，其他渠道带下载链接）。"
    )
    return command


for _kind in (ReportKind.DAILY, ReportKind.WEEKLY, ReportKind.MONTHLY):
    app.command(_kind.value)(_build(_kind))
app.command("quarterly")(_build(ReportKind.QUARTERLY))
app.command("halfyear")(_build(ReportKind.HALFYEAR))
app.command("annual")(_build(ReportKind.ANNUAL))


def _sent(result: dict[str, Any]) -> None:
    who = "、".join(result["recipients"]) or "无"
    line = f"已发送：接收人 {who}；送达 {result['sent']} 条，失败 {result['failed']} 条"
    if result["unreachable"]:
        line += f"；未配置渠道：{'、'.join(result['unreachable'])}"
    console.print(escape(line))


@app.command("quick")
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


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """已生成的报告（最新在前），及其发送情况。"""
    from models.repo.reports.store import list_reports, sending
    from models.reports.status import DELIVERY_LABELS
    from models.store.db import session_scope
    from tasks.runtime import prepare

    with failures():
        runtime = prepare(config_arg())
        with session_scope(runtime.engine) as session:
            reports = list(list_reports(session))
            states = sending(session, reports)
    rows = [
        {
            "id": r.id,
            "kind": r.kind.value,
            "label": r.label,
            "format": r.format,
            "filename": r.filename,
            "status": r.status.value,
            "size": r.size,
            "created_at": r.created_at,
            "delivery": states[r.id or 0].state.value,
        }
        for r in reports
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("编号", "报告", "期间", "文件", "状态", "发送")
    for r in reports:
        delivery = DELIVERY_LABELS[states[r.id or 0].state]
        table.add_row(str(r.id), KIND_LABELS[r.kind], r.label, r.filename, r.status.value, delivery)
    console.print(table)


@app.command("get")
def get(
    report_id: int = typer.Argument(..., help="报告编号"),
    out: Path = typer.Option(None, "--out", help="保存路径（默认：报告的文件名）"),
) -> None:
    """取回已生成的报告文件。"""
    from models.repo.cases import CaseError
    from models.repo.reports.store import get_report
    from models.store.db import session_scope
    from tasks.runtime import prepare

    with failures():
        runtime = prepare(config_arg())
        with session_scope(runtime.engine) as session:
            report = get_report(session, report_id)
            if report.content is None:
                raise CaseError(f"报告 {report_id} 尚未生成成功：{report.error or ''}")
            content, name = report.content, report.filename
        target = out or Path(name)
        target.write_bytes(content)
    console.print(f"已保存 {target}")


@app.command("stuck")
def stuck(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """生成失败或未送达的报告。"""
    from models.policy.clocks import utc_now
    from models.repo.reports.store import stuck_reports
    from models.store.db import session_scope
    from tasks.runtime import prepare

    with failures():
        runtime = prepare(config_arg())
        with session_scope(runtime.engine) as session:
            found = stuck_reports(session, now=utc_now())
    rows = [
        {
            "id": s.report.id,
            "kind": s.report.kind.value,
            "label": s.report.label,
            "reason": s.reason,
        }
        for s in found
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("没有待重跑的报告")
        return
    for s in found:
        name = f"{KIND_LABELS[s.report.kind]} {s.report.label}"
        console.print(escape(f"{s.report.id}  {name}：{s.reason}"))
    console.print(f"共 {len(rows)} 份；用 yuqing report rerun [编号] 重跑")


@app.command("rerun")
def rerun(
    report_id: int = typer.Argument(None, help="报告编号（默认：全部待重跑的报告）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """重跑报告：重新生成失败的，补发未送达的；已送达的不会重复发送。"""
    from models.policy.clocks import utc_now
    from tasks.reports.rerun import rerun_reports
    from tasks.runtime import prepare

    with failures():
        runtime = prepare(config_arg())
        ids = None if report_id is None else [report_id]
        done = rerun_reports(runtime, now=utc_now(), report_ids=ids)
    if as_json:
        print_json(done)
        return
    if not done:
        console.print("没有待重跑的报告")
    for item in done:
        sent = item.get("sent") or {}
        what = "已重新生成" if item.get("rebuilt") else f"重新发送 {item.get('rearmed', 0)} 条"
        console.print(
            escape(
                f"报告 {item['report_id']}（{item['label']}）：{what}；"
                f"送达 {sent.get('sent', 0)} 条，失败 {sent.get('failed', 0)} 条"
            )
        )
