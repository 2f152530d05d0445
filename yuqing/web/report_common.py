"""What the report pages share: a message page, and the
month (or year) a page shows, read from its query."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from models.reports.periods import Period, ReportKind, local_day
from models.reports.periods import parse_period as read_period
from yuqing.web.pages import chrome, now_of, page, runtime_of
from yuqing.web.security import SignedIn


def message(request: Request, user: SignedIn, message: str, status: int) -> HTMLResponse:
    return page(
        request, "message.html", {**chrome(request, user), "message": message}, status=status
    )


def shown_period(request: Request, kind: ReportKind, month: str, year: str) -> Period:
    """The period the page shows: `month`, else `year`, else the current month."""
    today = local_day(now_of(request), runtime_of(request).settings.tz)
    if year and not month:
        return read_period(ReportKind.ANNUAL, year=year, today=today)
    return read_period(kind, month=month or f"{today:%Y-%m}", today=today)
