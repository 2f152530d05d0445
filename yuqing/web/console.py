"""The case console: sign in and out, the board of open cases, one case in full with the action
forms the signed-in person's roles allow (`yuqing.actions.allowed_actions`), acting on a case
through `yuqing.actions`, and registering a case by hand. Every form carries a CSRF token; every
action is taken as the signed-in account's person, at the app's clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from models.policy.states import ObligationStatus
from models.repo.board import Cursor
from models.repo.cases import CaseError
from models.repo.stuck import REASON_LABELS, find_stuck
from models.store.db import session_scope
from tasks.runtime import Runtime
from yuqing import actions
from yuqing.actions import Action, ActionResult, FormField
from yuqing.web.board import board, counts_cache
from yuqing.web.pages import csrf_valid, now_of, page, redirect, runtime_of
from yuqing.web.register import register_from_form, register_page
from yuqing.web.security import (
    SignedIn,
    find_user,
    hash_password,
    make_session,
    read_session,
    session_key,
    signed_in,
    verify_password,
)
from yuqing.web.views import case_page

router = APIRouter(tags=["console"])
SESSION_COOKIE = "yq_session"
_DUMMY_HASH = hash_password("not a password")  # unknown users cost a hash too (no timing hint)
CASE_ACTIONS = ("ack", "complete", "extend", "reassign", "escalate")
CLOSE = FormField("reason", "办结说明", "textarea", required=False)
REOPEN = FormField("reason", "重新打开理由", "textarea")
DOWNGRADE = (
    FormField("grade", "降至等级（默认降一级）", "grade", required=False),
    FormField("requested_by", "申请人", "person"),
    FormField("reason", "降级理由", "textarea"),
)


def current_user(request: Request) -> SignedIn | None:
    settings = runtime_of(request).settings
    key, cookie = session_key(settings), request.cookies.get(SESSION_COOKIE)
    if key is None or cookie is None:
        return None
    username = read_session(key, cookie, now=now_of(request))
    user = None if username is None else find_user(settings, username)
    return None if user is None else signed_in(settings, user)


def _to_login(request: Request) -> RedirectResponse:
    return redirect(f"/login?next={request.url.path}")


def _chrome(request: Request, user: SignedIn) -> dict[str, Any]:
    runtime = runtime_of(request)
    return {
        "user": user,
        "allowed": actions.allowed_actions(runtime, user.roles),
        "server_now": now_of(request).isoformat(),
    }


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    enabled = session_key(runtime_of(request).settings) is not None
    return page(request, "login.html", {"next": _safe_next(next), "enabled": enabled})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: Mapping[str, str]) -> Response:
    settings = runtime_of(request).settings
    key, target = session_key(settings), _safe_next(form.get("next", "/"))
    if not csrf_valid(request, form.get("csrf")):
        return _login_error(request, target, "表单已失效，请重新登录", 403)
    user = find_user(settings, form.get("username", "").strip())
    password = form.get("password", "")
    good = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if key is None or user is None or not good:
        return _login_error(request, target, "用户名或密码错误", 401)
    minutes = settings.web.session_minutes
    response = redirect(target)
    response.set_cookie(
        SESSION_COOKIE,
        make_session(key, user.username, now=now_of(request), minutes=minutes),
        max_age=minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _login_error(request: Request, target: str, message: str, status: int) -> HTMLResponse:
    enabled = session_key(runtime_of(request).settings) is not None
    context = {"next": target, "enabled": enabled, "error": message}
    return page(request, "login.html", context, status=status)


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    if not csrf_valid(request, form.get("csrf")):
        return redirect("/")
    response = redirect("/login", flash="已退出")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def board_page(request: Request, unit: str = "", grade: str = "", after: str = "") -> Response:
    """The board: one page of open cases, filtered and ordered in the database."""
    user = current_user(request)
    if user is None:
        return _to_login(request)
    runtime = runtime_of(request)
    grades = [(g.id, g.label) for g in runtime.policy.scheme.by_rank()]
    grade = grade if grade in {g for g, _ in grades} else ""
    units = [(u.id, u.name) for u in runtime.settings.units]
    unit = unit if unit in {u for u, _ in units} else ""
    try:
        cursor = Cursor.decode(after) if after else None
    except ValueError:
        return _message(request, user, "参数 after 无效（翻页位置），请从第一页重新浏览", 400)
    with session_scope(runtime.engine) as session:
        shown = board(
            session,
            runtime.policy,
            now=now_of(request),
            unit_names=dict(units),
            unit=unit or None,
            grade=grade or None,
            after=cursor,
            cache=counts_cache(request.app.state),
        )
    context = {"b": shown, "units": units, "grades": grades, "unit": unit, "grade": grade}
    return page(request, "board.html", {**_chrome(request, user), **context, "paged": bool(after)})


@router.get("/stuck", response_class=HTMLResponse)
def stuck_page(request: Request) -> Response:
    """Cases whose last step failed or whose deadline or outbox stopped moving (`case rerun`)."""
    user = current_user(request)
    if user is None:
        return _to_login(request)
    runtime = runtime_of(request)
    with session_scope(runtime.engine) as session:
        stuck = find_stuck(session, now=now_of(request), policy=runtime.policy)
    rows = [
        {
            "case_id": c.case_id,
            "title": c.title,
            "findings": [f"{REASON_LABELS[f.reason]}：{f.detail}" for f in c.findings],
        }
        for c in stuck
    ]
    return page(request, "stuck.html", {**_chrome(request, user), "rows": rows})


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return _to_login(request)
    return register_page(request, _chrome(request, user))


@router.post("/cases/new", response_class=HTMLResponse)
async def new_case(request: Request) -> Response:
    form = await _form(request)
    user = current_user(request)
    if user is None:
        return _to_login(request)
    if not csrf_valid(request, form.get("csrf")):
        return _message(request, user, "表单已失效，请刷新页面后重试", 403)
    if "register" not in actions.allowed_actions(runtime_of(request), user.roles):
        return _message(request, user, "您的角色不能登记案件", 403)
    return await run_in_threadpool(register_from_form, request, user, form, _chrome(request, user))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def show_case(request: Request, case_id: int, timeline_page: str = "1") -> Response:
    user = current_user(request)
    if user is None:
        return _to_login(request)
    if not timeline_page.isdigit() or int(timeline_page) < 1:
        return _message(request, user, "参数 timeline_page 无效（时间线页码，从 1 开始）", 400)
    runtime = runtime_of(request)
    try:
        with session_scope(runtime.engine) as session:
            data = case_page(
                session,
                runtime.policy,
                case_id,
                now=now_of(request),
                timeline_page=int(timeline_page),
            )
    except CaseError as exc:
        return _message(request, user, str(exc), 404)
    context = {
        "p": data,
        "forms": _forms(runtime, user, data.deadlines, case_id, closed=data.case.closed_at),
        "people": [(p.id, p.name) for p in runtime.settings.people],
        "grades": [(g.id, g.label) for g in runtime.policy.scheme.by_rank()],
    }
    return page(request, "case.html", {**_chrome(request, user), **context})


def _forms(
    runtime: Runtime, user: SignedIn, deadlines: list[dict[str, Any]], case_id: int, closed: Any
) -> dict[str, Any]:
    """The forms this person may use: per open obligation, and for the whole case."""
    allowed = actions.allowed_actions(runtime, user.roles)
    per: dict[str, list[tuple[str, str, tuple[FormField, ...]]]] = {}
    for row in deadlines:
        o = row["o"]
        if o.status != ObligationStatus.OPEN or closed is not None:
            continue
        for name in CASE_ACTIONS:
            if name not in allowed or (name == "ack" and o.acked_at is not None):
                continue
            fields = actions.form_fields(
                runtime, Action(name), case_id=case_id, obligation_key=o.key
            )
            per.setdefault(o.key, []).append((name, actions.ACTION_LABELS[Action(name)], fields))
    case_level: list[tuple[str, str, tuple[FormField, ...]]] = []
    if closed is None and "upgrade" in allowed:
        fields = actions.form_fields(runtime, Action.UPGRADE, case_id=case_id, obligation_key=None)
        case_level.append(("upgrade", "升级", fields))
    if closed is None and "downgrade" in allowed:
        case_level.append(("downgrade", "降级（审批）", DOWNGRADE))
    if closed is None and "close" in allowed:
        case_level.append(("close", "办结", (CLOSE,)))
    if closed is not None and "reopen" in allowed:
        case_level.append(("reopen", "重新打开", (REOPEN,)))
    return {"per": per, "case": case_level, "decide": "decide_extension" in allowed}


@router.post("/cases/{case_id}/act", response_class=HTMLResponse)
async def act(request: Request, case_id: int) -> Response:
    form = await _form(request)
    user = current_user(request)
    if user is None:
        return _to_login(request)
    if not csrf_valid(request, form.get("csrf")):
        return _message(request, user, "表单已失效，请刷新页面后重试", 403)
    name = form.get("action", "")
    if name not in actions.allowed_actions(runtime_of(request), user.roles):
        return _message(request, user, f"您的角色不能执行此操作（{name}）", 403)
    try:
        result = await run_in_threadpool(_perform, request, user, case_id, name, form)
    except CaseError as exc:
        return redirect(f"/cases/{case_id}", flash=f"未能办理：{exc}")
    return redirect(f"/cases/{case_id}", flash=result.message)


def _perform(
    request: Request, user: SignedIn, case_id: int, name: str, form: Mapping[str, str]
) -> ActionResult:
    runtime, at, actor = runtime_of(request), now_of(request), user.person
    reason = form.get("reason", "")
    if name in {a.value for a in Action}:
        key = form.get("obligation") or None
        return actions.perform(
            runtime,
            Action(name),
            case_id=case_id,
            obligation_key=key,
            actor=actor,
            at=at,
            form=form,
        )
    if name == "close":
        return actions.close(runtime, case_id=case_id, actor=actor, at=at, reason=reason)
    if name == "reopen":
        return actions.reopen(runtime, case_id=case_id, actor=actor, at=at, reason=reason)
    if name == "downgrade":
        return actions.downgrade(
            runtime,
            case_id=case_id,
            actor=form.get("requested_by", ""),
            at=at,
            reason=reason,
            approver=actor,
            grade=form.get("grade") or None,
        )
    if name == "decide_extension":
        request_id = form.get("request_id", "")
        if not request_id.isdigit():
            raise CaseError("缺少字段 request_id（延期申请）")
        return actions.decide_extension(
            runtime,
            case_id=case_id,
            request_id=int(request_id),
            approver=actor,
            at=at,
            approve=form.get("decision") == "approve",
            note=form.get("note", ""),
        )
    raise CaseError(f"未知操作 {name!r}")


def _message(request: Request, user: SignedIn | None, message: str, status: int) -> HTMLResponse:
    chrome = _chrome(request, user) if user else {}
    return page(request, "message.html", {**chrome, "message": message}, status=status)


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _safe_next(target: str) -> str:
    """Only a path on this site (no `//host` or scheme): no open redirect after sign-in."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"
