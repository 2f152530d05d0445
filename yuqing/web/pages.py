"""What every page of the web app shares: the Jinja2 templates (autoescape on, so scraped text is
always shown as text), the clock the app reads (`app.state.now`, injectable by tests), the
runtime, the CSRF cookie and token, the one-line flash message after a redirect, and the
Chinese formatting of times and countdowns."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from models.policy.escalation import format_late
from tasks.runtime import Runtime, prepare
from yuqing.web.security import csrf_ok, csrf_token, new_csrf_seed, session_key

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "yq_csrf"
FLASH_COOKIE = "yq_flash"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def runtime_of(request: Request) -> Runtime:
    return prepare(request.app.state.config)


def now_of(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.now
    return clock()


def csrf_key(request: Request) -> bytes:
    """The signed-session key when there is one, else a key for this process only."""
    key = session_key(runtime_of(request).settings)
    if key is None:
        state = request.app.state
        if getattr(state, "process_key", None) is None:
            state.process_key = secrets.token_bytes(32)
        key = state.process_key
    return key


def page(
    request: Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render a template with the CSRF token (setting its cookie on first visit) and any flash."""
    seed = request.cookies.get(CSRF_COOKIE)
    fresh = seed is None
    seed = seed or new_csrf_seed()
    runtime = runtime_of(request)
    tz = runtime.settings.tz
    html = ENV.get_template(template).render(
        request=request,
        csrf=csrf_token(csrf_key(request), seed),
        flash=unquote(request.cookies.get(FLASH_COOKIE, "")),
        when=lambda at: local_time(at, tz),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if fresh:
        response.set_cookie(CSRF_COOKIE, seed, httponly=True, samesite="lax")
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE)
    return response


def csrf_valid(request: Request, token: str | None) -> bool:
    return csrf_ok(csrf_key(request), request.cookies.get(CSRF_COOKIE), token)


def redirect(url: str, *, flash: str = "") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), httponly=True, samesite="lax", max_age=60)
    return response


def local_time(at: datetime | None, tz: Any) -> str:
    return "—" if at is None else at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def countdown(due: datetime, now: datetime) -> tuple[str, bool]:
    """('剩余 2小时5分钟', False) or ('已超时 15分钟', True)."""
    left = due - now
    if left >= timedelta(0):
        return f"剩余 {format_late(left)}", False
    return f"已超时 {format_late(-left)}", True
