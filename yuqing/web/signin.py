"""Signing in to the console and out again, and who is signed in.

Sign-in is throttled per account and per client address with exponential back-off
(`models.policy.throttle`, counted by `models.repo.console.signins`): the throttle answers before
any password is checked, so a flood of guesses costs no scrypt; an unknown account gets the same
answer after the same work (a scrypt of a dummy hash), so neither the answer nor its time tells
which accounts exist. Every attempt is on the record, whatever its outcome. The check of the
throttle and the record of a pending attempt happen under one lock, so parallel guesses cannot
all pass it.

A session lives on the server (`models.repo.console.sessions`); the cookie holds only its random id.
It ends when the person signs out, when an operator revokes the account's sessions (`yuqing web
revoke`), when it expires, and when the account's password hash is no longer the one it was
opened under or the account is gone."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from models.policy.throttle import Backoff
from models.repo.access import standing_of
from models.repo.console.sessions import end_session, live_session, open_session
from models.repo.console.signins import next_try, record_attempt, settle_attempt
from models.store.db import session_scope
from settings import Settings, WebUser
from tasks.runtime import Runtime
from yuqing.web.pages import csrf_valid, now_of, page, redirect, runtime_of, secure_cookies
from yuqing.web.security import (
    SignedIn,
    find_user,
    hash_password,
    new_session_id,
    password_tag,
    session_digest,
    verify_password,
)
from yuqing.web.validate import read_form

router = APIRouter(tags=["sign-in"])
SESSION_COOKIE = "yq_session"
_DUMMY_HASH = hash_password("not a password")  # an unknown account costs a scrypt too
_NEXT = re.compile(r"/(?![/\\])[\x21-\x7e]*")  # a path on this site: no `//host`, no `\`
_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # what `new_session_id` makes


def current_user(request: Request) -> SignedIn | None:
    """The person whose live session the request's cookie names; None: not signed in. A session
    whose account is gone or whose password has changed is ended here. The session id is kept
    on `request.state` for the CSRF token of the page's forms."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not _ID.fullmatch(session_id):
        return None
    runtime, now = runtime_of(request), now_of(request)
    digest = session_digest(session_id)
    with session_scope(runtime.engine) as session:
        row = live_session(session, digest, at=now)
        if row is None:
            return None
        user = find_user(runtime.settings, row.username)
        if user is None or password_tag(user.password_hash) != row.password_tag:
            reason = "account_removed" if user is None else "password_changed"
            end_session(session, digest, at=now, reason=reason)
            return None
        bound = tuple(user.roles) or None
        standing = standing_of(session, user.person, bound=bound)
    if standing is None:  # the account's person is gone from the directory
        return None
    request.state.session_id = session_id
    return SignedIn(username=user.username, standing=standing, bound=bound)


def client_address(request: Request) -> str:
    """The client's address as the server saw it (behind a proxy on this host, uvicorn takes it
    from X-Forwarded-For)."""
    return request.client.host if request.client else ""


def safe_next(target: str) -> str:
    """Only a path on this site (no `//host`, scheme, backslash or control character): no open
    redirect after sign-in."""
    return target if _NEXT.fullmatch(target) else "/"


def _enabled(settings: Settings) -> bool:
    return bool(settings.web.users)


def _rules(settings: Settings) -> tuple[Backoff, Backoff]:
    web = settings.web
    first = timedelta(seconds=web.signin_backoff_seconds)
    cap = timedelta(seconds=web.signin_backoff_max_seconds)
    return (
        Backoff(free=web.signin_free_failures, first=first, cap=cap),
        Backoff(free=web.signin_free_failures_per_address, first=first, cap=cap),
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    enabled = _enabled(runtime_of(request).settings)
    return page(request, "login.html", {"next": safe_next(next), "enabled": enabled})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await read_form(request, strict=False)  # odd bytes are a failed attempt, on record
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: Mapping[str, str]) -> Response:
    runtime, now = runtime_of(request), now_of(request)
    target = safe_next(form.get("next", "/"))
    who = {"username": form.get("username", "").strip(), "address": client_address(request)}
    if not csrf_valid(request, form.get("csrf")):
        with session_scope(runtime.engine) as session:
            record_attempt(session, at=now, **who, outcome="bad_csrf")
        return _login_error(request, target, "表单已失效，请重新登录", 403)
    per_account, per_address = _rules(runtime.settings)
    with request.app.state.signin_lock, session_scope(runtime.engine) as session:
        retry_at = next_try(
            session, at=now, **who, per_account=per_account, per_address=per_address
        )
        outcome = "pending" if retry_at is None else "throttled"
        reason = "" if retry_at is None else f"next try at {retry_at.isoformat()}"
        attempt_id = record_attempt(session, at=now, **who, outcome=outcome, reason=reason)
    if retry_at is not None:
        return _throttled(request, target, retry_at - now)
    user = find_user(runtime.settings, who["username"])
    good = verify_password(form.get("password", ""), user.password_hash if user else _DUMMY_HASH)
    if user is None or not good:
        with session_scope(runtime.engine) as session:
            why = "unknown_account" if user is None else "bad_password"
            settle_attempt(session, attempt_id, outcome="refused", reason=why)
        return _login_error(request, target, "用户名或密码错误", 401)
    return _open(request, runtime, user, target, attempt_id=attempt_id, now=now)


def _open(
    request: Request,
    runtime: Runtime,
    user: WebUser,
    target: str,
    *,
    attempt_id: int,
    now: datetime,
) -> Response:
    """Open a session (ending the one this browser had) and hand its id to the browser."""
    session_id, minutes = new_session_id(), runtime.settings.web.session_minutes
    with session_scope(runtime.engine) as session:
        settle_attempt(session, attempt_id, outcome="signed_in", reason="")
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            end_session(session, session_digest(previous), at=now, reason="replaced")
        open_session(
            session,
            digest=session_digest(session_id),
            username=user.username,
            address=client_address(request),
            password_tag=password_tag(user.password_hash),
            at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    response = redirect(target)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=minutes * 60,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    return response


def _throttled(request: Request, target: str, wait: timedelta) -> HTMLResponse:
    seconds = max(1, math.ceil(wait.total_seconds()))
    message = f"登录尝试过于频繁，请 {seconds} 秒后再试"
    response = _login_error(request, target, message, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _login_error(request: Request, target: str, message: str, status: int) -> HTMLResponse:
    enabled = _enabled(runtime_of(request).settings)
    context = {"next": target, "enabled": enabled, "error": message}
    return page(request, "login.html", context, status=status)


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request, strict=False)
    return await run_in_threadpool(_logout, request, form)


def _logout(request: Request, form: Mapping[str, str]) -> Response:
    if current_user(request) is None:
        response = redirect("/login")
    elif not csrf_valid(request, form.get("csrf")):
        return redirect("/")
    else:
        runtime, digest = runtime_of(request), session_digest(request.state.session_id)
        with session_scope(runtime.engine) as session:
            end_session(session, digest, at=now_of(request), reason="signed_out")
        response = redirect("/login", flash="已退出", request=request)
    response.delete_cookie(SESSION_COOKIE)
    return response
