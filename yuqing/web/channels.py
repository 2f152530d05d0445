"""The console's channel page (`/channels`): every notification channel's health as `yuqing
channels status` shows it, for signed-in accounts: state (正常, 故障（已熔断）, 探测中), who uses
it, its address in privacy form, failures in a row, the last success and failure, the next
probe, the alerts waiting on it, and the platforms' refusals by code with what each code means.
Read only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.store.db import session_scope
from notifications.channel_status import channel_report
from yuqing.web.pages import chrome, page, redirect, runtime_of
from yuqing.web.signin import current_user

router = APIRouter(tags=["channels"])


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return _to_login(request)
    runtime = runtime_of(request)
    with session_scope(runtime.engine) as session:
        report = channel_report(session, runtime.settings)
    context = {
        **chrome(request, user),
        "rows": report,
        "down": [row.channel for row in report if row.state == "down"],
        "refused": [refusal for row in report for refusal in row.refusals],
    }
    return page(request, "channels.html", context)


def _to_login(request: Request) -> RedirectResponse:
    return redirect(f"/login?next={request.url.path}")
