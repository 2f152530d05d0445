"""The case console: the board of open cases, one case in full with the action forms the
signed-in person may use (the catalogue's permission: their roles and where they reach) and the
case's stage permits, the requests they may decide, acting on a case (`yuqing.web.act`: one task
run, then the one hand-off of its steps), registering a case by hand, and the case library.
Every case a page names is one the person may see; any other answers 403. Signing
in and out is `yuqing.web.signin`. Every form carries the session's CSRF token; every action is
taken as the signed-in account's person, at the app's clock; a refused action answers 4xx with
the reason, naming the field."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from models.policy.catalogue import CATALOGUE
from models.policy.grades import media_label
from models.policy.states import CATEGORY_LABELS, OUTCOME_LABELS
from models.repo.access import Forbidden, scope_of, sees_case
from models.repo.cases import CaseError, CaseNotFound, get_case
from models.repo.console.board import Cursor
from models.repo.directory import directory_of
from models.repo.library import LibraryEntry, library
from models.repo.stuck import REASON_LABELS, find_stuck
from models.store.db import session_scope
from tasks.runtime import Runtime
from yuqing.web.act import perform
from yuqing.web.admit import admit, refused
from yuqing.web.board import board, counts_cache
from yuqing.web.case_forms import CaseForms, case_forms
from yuqing.web.pages import (
    channel_labels,
    chrome,
    csrf_valid,
    now_of,
    page,
    redirect,
    runtime_of,
    shifts_of,
)
from yuqing.web.register import register_from_form, register_page
from yuqing.web.security import SignedIn
from yuqing.web.signin import current_user
from yuqing.web.validate import plain, read_form, valid_path_ids
from yuqing.web.validate import year as year_of
from yuqing.web.views import CasePage, case_page

router = APIRouter(tags=["console"], dependencies=[Depends(valid_path_ids)])
RETURNS = ("/my", "/approvals")  # where a one-tap form comes back to (else the case page)


def _to_login(request: Request) -> RedirectResponse:
    return redirect(f"/login?next={quote(request.url.path)}")


@router.get("/", response_class=HTMLResponse)
def board_page(request: Request, unit: str = "", grade: str = "", after: str = "") -> Response:
    """The board: one page of open cases, filtered and ordered in the database."""
    user = admit(request, "board")
    if not isinstance(user, SignedIn):
        return user
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
            scope=scope_of(user.standing, runtime.policy),
            shifts=shifts_of(runtime),
            directory=directory_of(runtime.settings.people),
            names={p.id: p.name for p in runtime.settings.people},
        )
    context = {"b": shown, "units": units, "grades": grades, "unit": unit, "grade": grade}
    return page(request, "board.html", {**chrome(request, user), **context, "paged": bool(after)})


@router.get("/stuck", response_class=HTMLResponse)
def stuck_page(request: Request) -> Response:
    """Cases whose last step failed or whose deadline or outbox stopped moving (`case rerun`)."""
    user = admit(request, "stuck")
    if not isinstance(user, SignedIn):
        return user
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
    return page(request, "stuck.html", {**chrome(request, user), "rows": rows})


@router.get("/library", response_class=HTMLResponse)
def library_page(
    request: Request,
    q: str = "",
    category: str = "",
    grade: str = "",
    unit: str = "",
    year: str = "",
) -> Response:
    """案例库: reviewed cases (those the person sees) with their summary, cause and lessons."""
    user = admit(request, "library")
    if not isinstance(user, SignedIn):
        return user
    runtime = runtime_of(request)
    grades = [(g.id, g.label) for g in runtime.policy.scheme.by_rank()]
    picked_year = year_of(year)
    category = category if category in CATEGORY_LABELS else ""
    grade = grade if grade in {g for g, _ in grades} else ""
    unit = plain(unit[:64], name="unit", label="责任单位")
    q = plain(q, name="q", label="关键词")
    with session_scope(runtime.engine) as session:
        entries = library(
            session,
            tz=runtime.settings.tz,
            category=category or None,
            grade=grade or None,
            unit=unit or None,
            year=picked_year,
            words=q[:200] or None,
            scope=scope_of(user.standing, runtime.policy),
        )
    filters = {"category": category, "grade": grade, "unit": unit, "year": picked_year}
    context = _library_context(runtime, entries, q=q[:200], filters=filters, grades=grades)
    return page(request, "library.html", {**chrome(request, user), **context})


def _library_context(
    runtime: Runtime,
    entries: list[LibraryEntry],
    *,
    q: str,
    filters: dict[str, Any],
    grades: list[tuple[str, str]],
) -> dict[str, Any]:
    """The library page's entries, its filters as picked and the choices it offers."""
    return {
        "entries": entries,
        "q": q,
        "filters": filters,
        "categories": list(CATEGORY_LABELS.items()),
        "grades": grades,
        "grade_labels": dict(grades),
        "units": [(u.id, u.name) for u in runtime.settings.units if not u.external],
        "outcomes": OUTCOME_LABELS,
    }


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request) -> Response:
    user = admit(request, "register")
    if not isinstance(user, SignedIn):
        return user
    return register_page(request, chrome(request, user))


@router.post("/cases/new", response_class=HTMLResponse)
async def new_case(request: Request) -> Response:
    form = await read_form(request)
    user = await run_in_threadpool(admit, request, "register")
    if not isinstance(user, SignedIn):
        return user
    if not csrf_valid(request, form.get("csrf")):
        return _message(request, user, "表单已失效，请刷新页面后重试", 403)
    return await run_in_threadpool(register_from_form, request, user, form, chrome(request, user))


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def show_case(request: Request, case_id: int, timeline_page: str = "1") -> Response:
    user = admit(request, "case")
    if not isinstance(user, SignedIn):
        return user
    if not timeline_page.isdigit() or int(timeline_page) < 1:
        return _message(request, user, "参数 timeline_page 无效（时间线页码，从 1 开始）", 400)
    runtime = runtime_of(request)
    try:
        with session_scope(runtime.engine) as session:
            get_case(session, case_id)
            if not sees_case(session, user.standing, case_id, runtime.policy):
                message = f"案件 {case_id} 不在您的职责范围内，无权查看"
                return _message(request, user, message, 403)
            data = case_page(
                session,
                runtime.policy,
                case_id,
                now=now_of(request),
                timeline_page=int(timeline_page),
                shifts=shifts_of(runtime),
            )
            forms = case_forms(
                session,
                runtime.policy,
                user.standing,
                data.case,
                [d["o"] for d in data.deadlines],
                [a["r"] for a in data.approvals],
            )
    except CaseError as exc:
        return _message(request, user, str(exc), 404)
    context = _case_context(runtime, data, forms)
    return page(request, "case.html", {**chrome(request, user), **context})


def _case_context(runtime: Runtime, data: CasePage, forms: CaseForms) -> dict[str, Any]:
    """The case page's data, the forms this person may use, and the names the page shows."""
    return {
        "p": data,
        "forms": forms,
        "people": [(p.id, p.name) for p in runtime.settings.people],
        "grades": [(g.id, g.label) for g in runtime.policy.scheme.by_rank()],
        "units": [(u.id, u.name) for u in runtime.settings.units if not u.external],
        "topics": {t.id: t.name for t in runtime.settings.topics},
        "grade_labels": {g.id: g.label for g in runtime.policy.scheme.by_rank()},
        "channels": channel_labels(runtime.settings),
        "media": media_label,
    }


@router.post("/cases/{case_id}/act", response_class=HTMLResponse)
async def act(request: Request, case_id: int) -> Response:
    form = await read_form(request)
    user = await run_in_threadpool(current_user, request)
    if user is None:
        return _to_login(request)
    if not csrf_valid(request, form.pop("csrf", None)):
        return _message(request, user, "表单已失效，请刷新页面后重试", 403)
    name = form.pop("action", "")
    if name not in CATALOGUE or CATALOGUE[name].subject == "none":  # 登记: its own page
        return _message(request, user, f"未知操作 {name[:40]!r}", 422, back=f"/cases/{case_id}")
    subject = form.get("obligation") or None
    if CATALOGUE[name].decision and form.get("request"):
        subject = f"req{form['request']}"
    try:
        change = await run_in_threadpool(perform, request, user, name, case_id, form, subject)
    except Forbidden as exc:
        return _message(request, user, f"无权办理：{exc}", 403, back=f"/cases/{case_id}")
    except CaseNotFound as exc:
        return _message(request, user, str(exc), 404)
    except CaseError as exc:  # nothing changed: the reason names the field or the rule
        return _message(request, user, f"未能办理：{exc}", 422, back=f"/cases/{case_id}")
    back = form.get("next", "")
    target = back if back in RETURNS else f"/cases/{change.case_id}"
    return redirect(target, flash=change.message, request=request)


_message = refused
