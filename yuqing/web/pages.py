"""What every page of the web app shares: the Jinja2 templates (autoescape on, so scraped text is
always shown as text), the clock the app reads (`app.state.now`, injectable by tests), the
runtime, the CSRF token of the page's forms and its check (the signed-in session's token; else
the double-submit cookie's, bound to the link on a link's page), the one-line flash message
after a redirect, and the Chinese formatting of times and countdowns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from models.policy.permissions import Reach, actions_of, pages_of, role_names
from models.policy.routing import Shift
from models.policy.wording import deadline_text, left_text
from notifications.outbox.context import build_context
from tasks.runtime import Runtime, prepare
from yuqing.web.security import (
    SignedIn,
    csrf_ok,
    csrf_token,
    forms_key,
    new_csrf_seed,
    same_token,
    session_csrf,
)

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


CHANNEL_KINDS = {  # an Apprise URL's scheme → what office staff call the channel
    "wecombot": "企业微信",
    "wxteams": "企业微信",
    "wecom": "企业微信",
    "dingtalk": "钉钉",
    "feishu": "飞书",
    "lark": "飞书",
    "mailto": "邮件",
    "mailtos": "邮件",
    "json": "Webhook",
    "jsons": "Webhook",
    "form": "Webhook",
    "forms": "Webhook",
    "xml": "Webhook",
    "xmls": "Webhook",
}


def channel_labels(settings: Any) -> dict[str, str]:
    """Channel id → its name in people's words: whose channel and what kind (王芳的企业微信)."""
    owners: dict[str, list[str]] = {}
    for person in settings.people:
        for channel in person.channels:
            owners.setdefault(channel, []).append(person.name)
    labels = {}
    for channel, secret in settings.secrets.channels.items():
        scheme = secret.get_secret_value().split("://", 1)[0].lower()
        kind = CHANNEL_KINDS.get(scheme, "短信" if "sms" in scheme else "通知渠道")
        who = "、".join(owners.get(channel, []))
        labels[channel] = f"{who}的{kind}" if who else kind
    return labels


def shifts_of(runtime: Runtime) -> tuple[Shift, ...]:
    """The duty roster's shifts (who holds a rostered role when)."""
    return build_context(runtime.settings, runtime.policy).routing.shifts


def now_of(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.now
    return clock()


def csrf_key(request: Request) -> bytes:
    """The key from the secrets when there is one, else a key for this process only."""
    key = forms_key(runtime_of(request).settings)
    process_key: bytes = request.app.state.process_key  # made by `create_app`
    return process_key if key is None else key


def _seed(request: Request) -> str:
    """This browser's double-submit cookie, or the one `page` is about to set."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if seed is None:
        seed = request.state.csrf_seed = new_csrf_seed()
    return str(seed)


def form_token(request: Request, *, bound: str | None = None) -> str:
    """The CSRF token for this page's forms: the session's when signed in, else the cookie's
    (bound to a link's nonce on its page)."""
    session_id = getattr(request.state, "session_id", None)
    if bound is None and session_id:
        return session_csrf(session_id)
    return csrf_token(csrf_key(request), _seed(request), bound=bound or "")


def csrf_valid(request: Request, token: str | None, *, bound: str | None = None) -> bool:
    """Whether a posted form's token is the one `form_token` gave this session, browser and
    (with `bound`) link."""
    session_id = getattr(request.state, "session_id", None)
    if bound is None and session_id:
        return same_token(token, session_csrf(session_id))
    return csrf_ok(csrf_key(request), request.cookies.get(CSRF_COOKIE), token, bound=bound or "")


def page(
    request: Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render a template with the CSRF token (setting its cookie on first visit) and any flash;
    `context` may carry a `csrf` of its own (a link's page)."""
    runtime = runtime_of(request)
    tz = runtime.settings.tz
    values = {
        "request": request,
        "csrf": context.get("csrf") or form_token(request),
        "flash": unquote(request.cookies.get(FLASH_COOKIE, "")),
        "when": lambda at: local_time(at, tz),
        "deadline": lambda at: "—" if at is None else deadline_text(at, tz),
        **context,
    }
    response = HTMLResponse(ENV.get_template(template).render(values), status_code=status)
    fresh = getattr(request.state, "csrf_seed", None)
    if fresh is not None and CSRF_COOKIE not in request.cookies:
        secure = secure_cookies(request)
        response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="lax", secure=secure)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE)
    return response


def secure_cookies(request: Request) -> bool:
    """Cookies only over HTTPS when the console's public address is https (behind a TLS proxy
    the app itself may see plain HTTP), or the request came over HTTPS."""
    base = runtime_of(request).settings.web.base_url or ""
    return base.startswith("https://") or request.url.scheme == "https"


def redirect(url: str, *, flash: str = "", request: Request | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        secure = request is not None and secure_cookies(request)
        response.set_cookie(
            FLASH_COOKIE, quote(flash), httponly=True, samesite="lax", max_age=60, secure=secure
        )
    return response


def local_time(at: datetime | None, tz: Any) -> str:
    return "—" if at is None else at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def countdown(due: datetime, now: datetime) -> tuple[str, bool]:
    """('剩余 2小时5分钟', False), ('刚刚超时', True) or ('已超时 15分钟', True)."""
    return left_text(due, now)


def chrome(request: Request, user: SignedIn) -> dict[str, Any]:
    """What every page of a signed-in person shows around its content (base.html)."""
    return {
        "user": user,
        "allowed": actions_of(user.roles),
        "office": bool(user.standing.reaching(Reach.OFFICE)),
        "may_open": pages_of(user.standing),
        "roles": role_names(sorted(user.roles)),
        "server_now": now_of(request).isoformat(),
    }
