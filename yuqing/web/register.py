"""Registering a case by hand in the console (a citizen's report, a hotline call, a referral from
the cyberspace office), as `yuqing case register` does:
`models.repo.registration.register_manual_item` always opens a case or joins a similar open
one; how the report came in is noted on the case timeline in the same transaction. When the
item was posted and when the event occurred (both optional, local time) are the anchors the
policy's deadlines run from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import Response

from models.parse.topics import CATEGORIES
from models.parse.urls import link_problem
from models.policy.forms import MAX_TEXT, FieldRefused, parse_count
from models.policy.registration import registration_times
from models.policy.states import CATEGORY_LABELS
from models.repo.access import Forbidden
from models.repo.cases import CaseError
from yuqing.web.act import perform
from yuqing.web.pages import now_of, page, redirect, runtime_of

if TYPE_CHECKING:
    from yuqing.web.security import SignedIn

CHANNELS = {
    "citizen": "群众反映",
    "hotline": "热线电话",
    "referral": "网信办转办",
    "petition": "信访",
    "other": "其他",
}
NO_CASE = 0  # a registration names no case: it opens (or joins) one
COUNTS = {"clicks": "点击量", "comments": "评论数"}
LENGTHS = {"title": ("标题", 500), "text": ("内容摘要", MAX_TEXT), "url": ("原帖链接", 2000)}


def register_page(
    request: Request,
    chrome: Mapping[str, Any],
    *,
    errors: list[str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "channels": CHANNELS,
        "categories": {c.value: label for c, label in CATEGORY_LABELS.items()},
        "errors": errors or [],
        "values": values or {},
    }
    return page(request, "register.html", {**chrome, **context}, status=status)


def _problems(form: Mapping[str, str]) -> list[str]:
    problems = []
    if not form.get("title", "").strip():
        problems.append("标题 title：不能为空")
    if form.get("channel") not in CHANNELS:
        problems.append("来源方式 channel：请选择")
    if form.get("category") and form["category"] not in CATEGORIES:
        problems.append(f"类别 category：未知 {form['category'][:40]!r}")
    url = form.get("url", "").strip()
    if url:  # the same rule as a collected item's link (no host, not http(s), too long...)
        problem = "链接不是 http(s) 地址" if url.startswith("urn:") else link_problem(url)
        if problem is not None:
            problems.append(f"原帖链接 url：{problem}")
    for name, (label, most) in LENGTHS.items():
        if len(form.get(name, "").strip()) > most:
            problems.append(f"{label} {name}：最多 {most} 字")
    for name, label in COUNTS.items():
        try:
            parse_count(form.get(name, ""), name=name, label=label)
        except FieldRefused as exc:
            problems.append(str(exc))
    return problems


def register_from_form(
    request: Request, user: SignedIn, form: Mapping[str, str], chrome: Mapping[str, Any]
) -> Response:
    runtime, now = runtime_of(request), now_of(request)
    problems = _problems(form)
    horizon = timedelta(days=runtime.settings.general.horizon_days)
    try:  # checked here to name every problem at once; the action reads them again
        registration_times(form, runtime.settings.tz, now=now, within=horizon)
    except FieldRefused as exc:
        problems.append(str(exc))
    if problems:
        return register_page(request, chrome, errors=problems, values=form, status=422)
    fields = ("title", "text", "url", "category", "posted_at", "occurred_at")
    values = {k: form.get(k, "").strip() for k in fields}
    values |= {k: form.get(k, "").strip() for k in COUNTS}
    values["via"] = CHANNELS[form["channel"]]
    try:
        change = perform(request, user, "register", NO_CASE, values, None)
    except Forbidden as exc:
        return register_page(request, chrome, errors=[str(exc)], values=form, status=403)
    except CaseError as exc:
        return register_page(request, chrome, errors=[str(exc)], values=form, status=422)
    item, case_id = change.data["item_id"], change.case_id
    flash = f"登记成功：信息 {item} → 案件 {case_id}（登记人 {user.name}）"
    return redirect(f"/cases/{case_id}", flash=flash, request=request)
