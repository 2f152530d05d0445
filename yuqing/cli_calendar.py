"""`yuqing calendar show YEAR`: the year's days off and make-up working days (调休) as the
deadlines count them, each with where it comes from (the `holidays` package, the office's
calendar file, or the law alone for a year nobody has published yet), and whether that year is
known or its working-day deadlines are provisional (暂定)."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer
from rich.markup import escape

from models.policy.calendar import DaySource, WorkCalendar
from yuqing.cli_common import State, console, print_json, refusals

app = typer.Typer(help="工作日历：节假日与调休 (the working-day calendar)", no_args_is_help=True)

WEEKDAYS = "一二三四五六日"
SOURCES = {
    DaySource.LIBRARY: "国务院安排（holidays 库）",
    DaySource.FILE: "日历文件",
    DaySource.LAW: "法定节日（推算，尚无国务院安排）",
}
COVERAGE = {
    DaySource.LIBRARY: "已知：国务院安排（holidays 库）",
    DaySource.FILE: "已知：日历文件",
    None: "未知：按工作日计算的时限为“暂定”（只计周末与法定节日，无调休）",
}
EXAMPLE = (
    '# 日历文件（配置 [calendar] file = "calendar.toml"），按国务院办公厅放假通知填写：\n'
    'holidays = ["{y}-01-01", "{y}-02-05", "{y}-02-06"]   # 放假日期（含调休放假）\n'
    'workdays = ["{y}-02-20"]                             # 调休上班的周末'
)


def year_data(calendar: WorkCalendar, year: int, file: str | None) -> dict[str, Any]:
    coverage = calendar.coverage(year)
    return {
        "year": year,
        "covered": coverage is not None,
        "coverage": coverage,
        "file": file,
        "days": [
            {"date": day.isoformat(), "working": working, "source": source}
            for day, working, source in calendar.special_days(year)
        ],
    }


@app.command("show")
def show(
    year: int = typer.Argument(..., min=2000, max=2099, help="年份，如 2027"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出该年的放假日与调休上班日及其来源；该年未知时说明如何补充。"""
    from rich.table import Table

    from models.store.calendar_file import load_calendar
    from settings import load_settings

    with refusals():
        file = load_settings(State.config).calendar.file
        data = year_data(load_calendar(file), year, str(file) if file else None)
    if as_json:
        print_json(data)
        return
    console.print(f"{year} 年：{COVERAGE[data['coverage']]}")
    table = Table("日期", "星期", "安排", "来源")
    for day in data["days"]:
        weekday = WEEKDAYS[date.fromisoformat(day["date"]).weekday()]
        kind = "调休上班" if day["working"] else "放假"
        table.add_row(day["date"], f"周{weekday}", kind, SOURCES[day["source"]])
    console.print(table)
    if not data["covered"]:
        console.print(escape(EXAMPLE.format(y=year)))
