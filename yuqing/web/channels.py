"""The console's channel page (`/channels`): every notification channel's health as `yuqing
channels status` shows it, for signed-in accounts: state (正常, 故障（已熔断）, 探测中), who uses
it, its address in privacy form, failures in a row, the last success and failure, the next
probe, the alerts waiting on it, and the platforms' refusals by code with what each code means.
Read only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from models.policy.sending import OUTCOME_LABELS
from models.store.db import session_scope
from notifications.channel_status import channel_report
from yuqing.web.admit import admit
from yuqing.web.pages import channel_labels, chrome, page, runtime_of
from yuqing.web.security import SignedIn

router = APIRouter(tags=["channels"])


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request) -> Response:
    user = admit(request, "channels")
    if not isinstance(user, SignedIn):
        return user
    runtime = runtime_of(request)
    with session_scope(runtime.engine) as session:
        report = channel_report(session, runtime.settings)
    context = {
        **chrome(request, user),
        "rows": report,
        "down": [row.channel for row in report if row.state == "down"],
        "refused": [refusal for row in report for refusal in row.refusals],
        "labels": channel_labels(runtime.settings),
        "outcomes": OUTCOME_LABELS,
    }
    return page(request, "channels.html", context)
