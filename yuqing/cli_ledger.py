"""`yuqing report ledger` and `yuqing report judge`: the accountability ledger (问责台账) of a
period or all of it, filtered by judgement, exported as a file or shown; and a person's
judgement of one lapse (justified or not, the reason, an optional proposal). The machine never
judges. Registered on the `report` command group by `yuqing.cli_report`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from models.reports.formats import FORMATS
from models.reports.periods import PeriodError, ReportKind, local_day, parse_period
from yuqing.cli_common import config_arg, console, errors, refusals, who_acts

if TYPE_CHECKING:  # the rest is imported by the commands that use it (a quick --help)
    from tasks.runtime import Runtime


def ledger(
    month: str = typer.Option(None, "--month", help="记录月份，如 2026-11（默认：全部）"),
    year: str = typer.Option(None, "--year", help="记录年份，如 2026"),
    verdict: str = typer.Option(None, "--verdict", help="pending|justified|unjustified"),
    fmt: str = typer.Option("md", "--format", help="xlsx|csv|md|json"),
    out: Path = typer.Option(None, "--out", help="保存到文件"),
) -> None:
    """问责台账：每次逾期的证据（首次获知、首次报告、截止、完成、超时、责任人）与人工研判。"""
    from models.policy.clocks import utc_now
    from models.reports.accountability import LedgerFilter, Verdict
    from tasks.reports.accountability import ledger_document
    from tasks.reports.render import render
    from tasks.runtime import prepare

    with refusals():
        try:
            runtime = prepare(config_arg())
            today = local_day(utc_now(), runtime.settings.tz)
            period = None
            if month is not None:
                period = parse_period(ReportKind.MONTHLY, month=month, today=today)
            elif year is not None:
                period = parse_period(ReportKind.ANNUAL, year=year, today=today)
            if verdict is not None and verdict not in {v.value for v in Verdict}:
                raise PeriodError("--verdict 只能是 pending、justified 或 unjustified")
            if fmt not in FORMATS:
                raise PeriodError(f"--format 只能是 {'、'.join(FORMATS)}")
            if fmt == "xlsx" and out is None:
                raise PeriodError("xlsx 文件须用 --out 指定保存路径")
        except PeriodError as exc:
            errors.print(f"[red]无法执行[/red] {exc}")
            raise typer.Exit(2) from None
        where = LedgerFilter(verdict=Verdict(verdict) if verdict else None)
        document = ledger_document(runtime, now=utc_now(), period=period, where=where)
    content = render(document, fmt)
    if out is None:
        typer.echo(content.decode("utf-8-sig"))
        return
    out.write_bytes(content)
    console.print(f"已导出 {out}（{document.summary['records']} 条记录）")


def judge(
    record_id: int = typer.Argument(..., help="问责记录编号（见 yuqing report ledger）"),
    justified: bool = typer.Option(
        None, "--justified/--unjustified", help="理由成立（不追责）或不成立（需追责）"
    ),
    reason: str = typer.Option(..., "--reason", help="研判理由"),
    consequence: str = typer.Option("", "--consequence", help="notice|rating|appraisal"),
    by: str = typer.Option(None, "--by", help="研判人：人员编号或姓名（默认：[cli] operator）"),
) -> None:
    """研判一条逾期记录：理由是否成立、依据，以及（不成立时）处理建议。"""
    from models.policy.clocks import utc_now
    from models.repo.cases import CaseError
    from models.reports.status import Consequence
    from tasks.reports.accountability import judge_record
    from tasks.runtime import prepare

    with refusals():
        if justified is None:
            raise CaseError("请选择 --justified（理由成立）或 --unjustified（理由不成立）")
        if consequence not in {c.value for c in Consequence}:
            raise CaseError(
                "--consequence 只能是 notice（通报）、rating（不得评优）或 appraisal（纳入考核）"
            )
        runtime = prepare(config_arg())
        judge = judge_of(runtime, by, record_id)
        judgement = judge_record(
            runtime,
            record_id=record_id,
            justified=justified,
            reason=reason,
            by=judge,
            at=utc_now(),
            consequence=Consequence(consequence),
        )
    verdict = "理由成立，不予追责" if judgement.justified else "理由不成立，需追责"
    console.print(escape(f"已记录研判（记录 {record_id}）：{verdict}"))


def judge_of(runtime: Runtime, by: str | None, record_id: int) -> str:
    """The person judging: named (`--by`, else the configured operator), holding a judging
    role, and seeing the record's case; CaseError (exit 2) saying what is missing."""
    from models.policy.permissions import office_refusal
    from models.repo.access import Forbidden, sees_case, standing_of
    from models.repo.cases import CaseError
    from models.store.db import session_scope
    from models.store.tables import AccountabilityRecord

    person = who_acts(runtime, by).person
    if person is None:
        raise CaseError("问责研判须注明研判人：请用 --by 指明人员编号或姓名")
    with session_scope(runtime.engine) as session:
        standing = standing_of(session, person)
        assert standing is not None
        reason = office_refusal("judge", standing)
        record = session.get(AccountabilityRecord, record_id)
        outside = record is not None and not sees_case(
            session, standing, record.case_id, runtime.policy
        )
        if reason is None and outside:
            reason = f"问责记录 {record_id} 所属案件不在 {standing.name} 的职责范围内"
    if reason is not None:
        raise Forbidden(reason)
    return person
