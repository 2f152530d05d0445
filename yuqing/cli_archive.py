"""`yuqing case archive ID --out case-ID.zip`: the case's file (立卷归档) — its facts, timeline,
items, deadlines, approvals, referrals, accountability evidence, every message and delivery
attempt, the review, and the documents issued — as CSV and JSON plus the .docx files, with a
manifest of each file's SHA-256. Registered on the `case` command group by `yuqing.cli_case`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from yuqing.cli_common import AT, config_arg, console, now, refusals


def archive(
    case_id: int = typer.Argument(..., help="案件编号", min=1, max=2**31 - 1),
    out: Path = typer.Option(None, "--out", help="保存到（默认 case-编号.zip）"),
    by: str = typer.Option(None, "--by", help="导出人：人员编号或姓名（记入时间线）"),
    at: str = AT,
) -> None:
    """导出案卷（立卷归档）：时间线、信息、时限、审批、送达等（CSV/JSON）及快报文档，
    附 SHA-256 清单。"""
    from tasks.archive import archive_case
    from tasks.reports.context import filler_for
    from tasks.runtime import prepare

    with refusals():
        runtime = prepare(config_arg())
        who = filler_for(runtime.settings, by, strict=True)
        content, files = archive_case(runtime, case_id=case_id, now=now(), by=who)
        target = out or Path(f"case-{case_id}.zip")
        try:
            target.write_bytes(content)
        except OSError as exc:
            console.print(
                f"[red]无法写入[/red] {escape(str(target))}：{escape(exc.strerror or '')}"
            )
            raise typer.Exit(2) from None
    console.print(
        f"已导出案卷 {escape(str(target))}（{files} 个文件，{len(content)} 字节；"
        "各文件的 SHA-256 见 manifest.json 与 SHA256SUMS）"
    )
