"""Who may open a console page (the catalogue's `PAGES`): signed in, and for the office's own
pages (统计, 卡住的案件, 报告下载, 通知渠道) holding an office role; anyone else gets a 403 page
saying why. What a page then shows is scoped to the cases the person sees."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from models.policy.catalogue import PAGES
from models.policy.permissions import page_refusal
from yuqing.web.pages import chrome, page, redirect
from yuqing.web.security import SignedIn
from yuqing.web.signin import current_user


def refused(
    request: Request, user: SignedIn | None, message: str, status: int, *, back: str = ""
) -> HTMLResponse:
    """The message page, with the person's chrome when signed in."""
    around = chrome(request, user) if user else {}
    return page(
        request, "message.html", {**around, "message": message, "back": back}, status=status
    )


def admit(request: Request, name: str) -> SignedIn | Response:
    """The signed-in person when they may open page `name`; else where to send them."""
    user = current_user(request)
    if user is None:
        return redirect(f"/login?next={quote(request.url.path)}")
    reason = page_refusal(PAGES[name], user.standing)
    if reason is not None:
        return refused(request, user, reason, 403)
    return user
