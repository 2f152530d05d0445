"""The 统计 page: a month's (or a year's) figures at a glance, with server-rendered SVG charts:
the on-time rate by unit and by obligation (red below 90%), cases opened by grade and by category
over time, and the overdue units ranked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from models.reports.build import summary
from models.reports.labels import percent
from models.reports.periods import PeriodError, ReportKind
from models.reports.timeline import series
from tasks.reports.build import report_input
from yuqing.web.admit import admit
from yuqing.web.charts import rate_bars, stacked_columns
from yuqing.web.pages import chrome, now_of, page, runtime_of
from yuqing.web.report_common import message, shown_period
from yuqing.web.security import SignedIn

router = APIRouter(tags=["reports"])


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, month: str = "", year: str = "") -> Response:
    user = admit(request, "stats")
    if not isinstance(user, SignedIn):
        return user
    try:
        period = shown_period(request, ReportKind.MONTHLY, month, year)
    except PeriodError as exc:
        return message(request, user, str(exc), 400)
    runtime = runtime_of(request)
    data = report_input(runtime, period=period, now=now_of(request))
    labels, sla = data.labels, data.sla
    start, end = period.bounds(labels.tz)
    opened = [c for c in data.cases if start <= c.discovered_at < end]
    buckets, by_grade = series(opened, period, labels, lambda c: labels.grade(c.grade))
    _, by_category = series(opened, period, labels, lambda c: labels.category(c.category))
    units = sorted(sla.by_unit.items(), key=lambda uc: (uc[1].rate or 0.0, uc[0]))
    rules = [(sla.titles[k], _rule_rate(sla, k)) for k in sla.titles]
    charts = [
        rate_bars(
            "按时率（按单位）",
            [(labels.unit(u), c.rate, c.due) for u, c in units],
            chart_id="chart-units",
        ),
        rate_bars("按时率（按事项）", [(t, r, n) for t, (r, n) in rules], chart_id="chart-rules"),
        stacked_columns("新增案件（按等级）", buckets, by_grade, chart_id="chart-grades"),
        stacked_columns("新增案件（按类别）", buckets, by_category, chart_id="chart-categories"),
    ]
    context = {
        "period": period,
        "month": month or ("" if year else f"{period.start:%Y-%m}"),
        "year": year,
        "summary": _summary(data),
        "charts": charts,
        "overdue": [(labels.unit(u), c.lapsed, percent(c.rate)) for u, c in sla.overdue_units()],
    }
    return page(request, "stats.html", {**chrome(request, user), **context})


def _rule_rate(sla: Any, key: str) -> tuple[float | None, int]:
    cells = [c for (k, _), c in sla.by_rule.items() if k == key]
    on_time, judged = sum(c.on_time for c in cells), sum(c.on_time + c.lapsed for c in cells)
    return (on_time / judged if judged else None), sum(c.due for c in cells)


def _summary(data: Any) -> list[tuple[str, str]]:
    start, end = data.period.bounds(data.labels.tz)
    figures = summary(data, [c for c in data.cases if start <= c.discovered_at < end])
    return [
        ("新增案件", f"{figures['cases_opened']} 件"),
        ("在办案件", f"{figures['cases_open']} 件"),
        ("应完成时限", f"{figures['deadlines_due']} 项"),
        ("按时率", percent(figures["on_time_rate"])),
        ("逾期（超时完成 + 未完成已超时）", f"{figures['late'] + figures['unmet']} 项"),
        ("升级 / 降级", f"{figures['upgrades']} / {figures['downgrades']}"),
        ("延期批准 / 驳回", f"{figures['extensions_granted']} / {figures['extensions_refused']}"),
        ("移送", f"{figures['referrals']} 次"),
        ("问责记录（待研判）", f"{figures['accountability_records']}（{figures['unjudged']}）"),
    ]
