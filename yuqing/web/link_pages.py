"""The pages behind an alert's one-click links: `GET /l/{token}` shows what the link will do and
asks to confirm (changing nothing, so a chat app's link preview acts on nothing); `POST` with
the form performs it (`yuqing.links.use_link`). A refused link gets a page in Chinese saying why;
every attempt is audited by `yuqing.links`. No sign-in: the signed link is the permission."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from notifications.links import LinkRefused
from yuqing.links import audit, inspect_link, use_link
from yuqing.web.pages import csrf_valid, now_of, page, runtime_of

router = APIRouter(tags=["links"])


@router.get("/l/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    runtime = runtime_of(request)
    try:
        view = inspect_link(runtime, token, now=now_of(request))
    except LinkRefused as refused:
        return _refused(request, refused)
    people = [(p.id, p.name) for p in runtime.settings.people]
    grades = [(g.id, g.label) for g in runtime.policy.scheme.by_rank()]
    return page(
        request,
        "link_confirm.html",
        {"view": view, "token": token, "people": people, "grades": grades},
    )


@router.post("/l/{token}", response_class=HTMLResponse)
async def confirm(request: Request, token: str) -> HTMLResponse:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_act, request, token, form)


def _act(request: Request, token: str, form: dict[str, str]) -> HTMLResponse:
    runtime = runtime_of(request)
    now = now_of(request)
    if not csrf_valid(request, form.get("csrf")):
        reason = "bad_csrf: 表单已失效（缺少或错误的校验码）"
        audit(runtime.engine, at=now, outcome="refused", reason=reason, claim=None)
        refused = LinkRefused("bad_csrf", "表单已失效，请重新打开通知中的链接再确认")
        return _refused(request, refused)
    form.pop("csrf", None)
    try:
        result = use_link(runtime, token, form=form, now=now)
    except LinkRefused as refused:
        return _refused(request, refused, token=token)
    return page(request, "link_done.html", {"message": result.message, "case_id": result.case_id})


def _refused(request: Request, refused: LinkRefused, *, token: str | None = None) -> HTMLResponse:
    # An action's own refusal (a missing field) leaves the link usable: offer to try again.
    retry = token if refused.reason == "refused" else None
    status = 409 if refused.reason in ("used", "refused") else 403
    return page(
        request, "link_refused.html", {"message": refused.message, "retry": retry}, status=status
    )
