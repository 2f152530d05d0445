"""The signed-in person's own work: 我的待办 (`/my`: the open obligations they hold across the
open cases, nearest deadline first, each with its one-tap actions: 签收, and 完成 with the proof
its rule asks for) and 待我审批 (`/approvals`: the requests waiting for their decision, with
同意 and 退回). Every form posts to the case's action like the case page's, and comes back here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from models.policy.catalogue import CATALOGUE
from models.policy.permissions import refusal
from models.policy.states import APPROVAL_LABELS
from models.repo.access import case_facts, obligation_facts
from models.repo.acting import fields_for
from models.repo.console.mywork import awaiting_me, my_obligations
from models.store.db import session_scope
from yuqing.web.admit import admit
from yuqing.web.pages import chrome, countdown, now_of, page, runtime_of
from yuqing.web.security import SignedIn
from yuqing.web.views import describe_request

router = APIRouter(tags=["my work"])
ONE_TAP = ("ack", "complete")  # what 我的待办 offers per obligation; the rest on the case page


@router.get("/my", response_class=HTMLResponse)
def my_work(request: Request) -> Response:
    user = admit(request, "my")
    if not isinstance(user, SignedIn):
        return user
    runtime, now = runtime_of(request), now_of(request)
    rows: list[dict[str, Any]] = []
    with session_scope(runtime.engine) as session:
        for task in my_obligations(session, user.standing):
            o, case = task.obligation, task.case
            assert case.id is not None
            facts, mine = case_facts(session, case, runtime.policy), obligation_facts(session, o)
            forms = [
                (
                    name,
                    CATALOGUE[name].label,
                    fields_for(session, runtime.policy, name, case_id=case.id, subject=o.key),
                )
                for name in ONE_TAP
                if not (name == "ack" and o.acked_at is not None)
                and refusal(CATALOGUE[name], user.standing, case=facts, obligation=mine) is None
            ]
            left, overdue = countdown(o.due_at, now)
            rows.append({"o": o, "case": case, "left": left, "overdue": overdue, "forms": forms})
    return page(request, "my.html", {**chrome(request, user), "rows": rows})


@router.get("/approvals", response_class=HTMLResponse)
def my_approvals(request: Request) -> Response:
    user = admit(request, "approvals")
    if not isinstance(user, SignedIn):
        return user
    runtime = runtime_of(request)
    with session_scope(runtime.engine) as session:
        rows = [
            {
                "r": r,
                "case": case,
                "label": APPROVAL_LABELS[r.kind],
                "asked": describe_request(session, r, runtime.policy),
                "grade": runtime.policy.scheme.level(case.grade).label,
            }
            for r, case in awaiting_me(session, user.standing, runtime.policy)
        ]
    names = {p.id: p.name for p in runtime.settings.people}
    context = {**chrome(request, user), "rows": rows, "names": names}
    return page(request, "approvals.html", context)
