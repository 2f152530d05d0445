"""Registering a case by hand in the console (a citizen's report, a hotline call, a referral from
the cyberspace office), as `yuqing case register` does: `models.repo.intake.register_manual_item`
always opens a case or joins a similar open one; how the report came in is noted on the case
timeline in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import Response

from models.parse.topics import CATEGORIES
from models.parse.urls import link_problem
from models.policy.states import EventKind
from models.repo.cases import add_event
from models.repo.intake import register_manual_item
from models.store.db import session_scope
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
CATEGORY_LABELS = {
    "inquiry": "咨询诉求",
    "hype": "恶意炒作",
    "rumour": "造谣传谣",
    "suggestion": "建设性意见",
    "corruption": "涉腐问题",
}
assert set(CATEGORY_LABELS) == set(CATEGORIES)


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
        "categories": CATEGORY_LABELS,
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
        problems.append(f"类别 category：未知 {form['category']!r}")
    url = form.get("url", "").strip()
    if url:  # the same rule as a collected item's link (no host, not http(s), too long...)
        problem = "链接不是 http(s) 地址" if url.startswith("urn:") else link_problem(url)
        if problem is not None:
            problems.append(f"原帖链接 url：{problem}")
    for name, label in (("clicks", "点击量"), ("comments", "评论数")):
        if form.get(name, "").strip() and not form[name].strip().isdigit():
            problems.append(f"{label} {name}：须是非负整数")
    return problems


def register_from_form(
    request: Request, user: SignedIn, form: Mapping[str, str], chrome: Mapping[str, Any]
) -> Response:
    problems = _problems(form)
    if problems:
        return register_page(request, chrome, errors=problems, values=form, status=422)
    runtime, now = runtime_of(request), now_of(request)
    channel = CHANNELS[form["channel"]]
    with session_scope(runtime.engine) as session:
        intake = register_manual_item(
            session,
            title=form["title"].strip(),
            text=form.get("text", "").strip(),
            actor=user.person,
            topics=runtime.topics,
            policy=runtime.policy,
            calendar=runtime.calendar,
            now=now,
            url=form.get("url", "").strip() or None,
            category=form.get("category") or None,
            clicks=int(form.get("clicks", "").strip() or 0),
            comments=int(form.get("comments", "").strip() or 0),
        )
        add_event(
            session,
            case_id=intake.case_id,
            kind=EventKind.NOTE,
            at=now,
            actor=user.person,
            message=f"{user.name} 人工登记（{channel}）：{form['title'].strip()}",
            data={"item": intake.item_id, "channel": form["channel"]},
        )
    flash = f"登记成功：信息 {intake.item_id} → 案件 {intake.case_id}（登记人 {user.name}）"
    return redirect(f"/cases/{intake.case_id}", flash=flash)
