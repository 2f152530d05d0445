"""`yuqing report ...`: build a report for a period (daily, weekly, monthly, quarterly, halfyear,
annual) to a file or the screen and optionally send it, and the quick-report document of a case
(`yuqing.cli_report_build`); the stored reports (list, get); the stuck ones and their re-run;
the accountability ledger and a person's judgement of a lapse (`yuqing.cli_ledger`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from models.reports.periods import KIND_LABELS, ReportKind
from yuqing import cli_ledger
from yuqing.cli_common import config_arg, console, print_json
from yuqing.cli_report_build import build_command, failures, quick

app = typer.Typer(
    help="报告：每日汇总、周报、月度台账、半年与年度报告、快报、问责台账", no_args_is_help=True
)
app.command("ledger")(cli_ledger.ledger)
app.command("judge")(cli_ledger.judge)
for _kind in (ReportKind.DAILY, ReportKind.WEEKLY, ReportKind.MONTHLY):
    app.command(_kind.value)(build_command(_kind))
app.command("quarterly")(build_command(ReportKind.QUARTERLY))
app.command("halfyear")(build_command(ReportKind.HALFYEAR))
app.command("annual")(build_command(ReportKind.ANNUAL))
app.command("quick")(quick)


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
