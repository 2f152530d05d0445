"""`yuqing case library`: the case library (案例库), the cases reviewed (总结评估), filtered by
category, grade, unit and year, searched by words. Registered on the `case` command group by
`yuqing.cli_case`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from yuqing.cli_common import config_arg, console, print_json, refusals

if TYPE_CHECKING:  # the rest is imported by the command (a quick --help)
    from models.repo.library import LibraryEntry
    from tasks.runtime import Runtime


def library_cmd(
    words: str = typer.Option(None, "--search", help="关键词（标题、总结、原因、经验教训）"),
    category: str = typer.Option(None, "--category", help="类别"),
    grade: str = typer.Option(None, "--grade", help="等级（如 一级）"),
    unit: str = typer.Option(None, "--unit", help="责任单位编号"),
    year: int = typer.Option(None, "--year", min=1900, max=2999, help="总结评估年份"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """案例库：已总结评估的案件，可按类别、等级、单位、年份筛选，按关键词检索。"""
    from models.repo.library import library
    from models.store.db import session_scope
    from tasks.runtime import prepare

    with refusals():
        runtime = prepare(config_arg())
        grade_id = runtime.policy.scheme.level(grade).id if grade else None
        with session_scope(runtime.engine) as session:
            entries = library(
                session,
                tz=runtime.settings.tz,
                category=category,
                grade=grade_id,
                unit=unit,
                year=year,
                words=words,
            )
    if as_json:
        print_json([_entry_data(runtime, e) for e in entries])
        return
    if not entries:
        console.print("案例库中没有符合条件的案例")
        return
    _print_library(runtime, entries)


def _entry_data(runtime: Runtime, e: LibraryEntry) -> dict[str, Any]:
    return {
        "case_id": e.case_id,
        "title": e.title,
        "grade": e.grade,
        "grade_label": runtime.policy.scheme.level(e.grade).label,
        "category": e.category,
        "units": list(e.units),
        "outcome": e.outcome,
        "closed_at": e.closed_at,
        "reviewed_at": e.reviewed_at,
        "reviewed_by": e.reviewed_by,
        "summary": e.summary,
        "cause": e.cause,
        "lessons": e.lessons,
    }


def _print_library(runtime: Runtime, entries: list[LibraryEntry]) -> None:
    from rich.table import Table

    from models.policy.states import category_label

    table = Table("编号", "等级", "类别", "标题", "总结", "经验教训")
    for e in entries:
        table.add_row(
            str(e.case_id),
            runtime.policy.scheme.level(e.grade).label,
            category_label(e.category),
            escape(e.title),
            escape(e.summary),
            escape(e.lessons),
        )
    console.print(table)
