"""Where a case is and whose move it is, in the console (the real app on uvicorn, httpx over a
real socket, SQLite and PostgreSQL): 我的待办 lists the signed-in person's open obligations across
cases, nearest deadline first, with one-tap 签收 that comes back to the list; a school's
responsible person sees their unit's verification there and not the office's quick report;
待我审批 lists the requests waiting for this person's decision (never their own) and 同意 from
it decides the request; the board names who must act on each case's nearest obligation; and the
case page says the next step, by whom, and the time left."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models.store.db import session_scope
from models.store.tables import ApprovalRequest
from tasks.act import ActionRequest, record_action
from tests.support.console import Console, csrf_of, running_console, sign_in
from tests.support.escalation import T0, new_case
from yuqing.localservers import WebhookReceiver

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def console(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Console]:
    with running_console(database_url, tmp_path, receiver) as running:
        running.clock.at = T0 + timedelta(minutes=5)
        yield running


def act(console: Console, action: str, case_id: int, person: str, **form: str) -> None:
    subject = form.pop("subject", None)
    request = ActionRequest(action, case_id, person, console.clock.at, "test", form, subject)
    assert record_action(console.runtime, request).change is not None


def rows(html: str, table: str) -> list[str]:
    """The row ids of the page's table (none when the page shows no table)."""
    if f'id="{table}"' not in html:
        return []
    body = html[html.index(f'id="{table}"') :].split("</table>")[0]
    return re.findall(r"<tr id=\"([^\"]+)\"", body)


def test_my_work_lists_my_obligations_nearest_first_with_one_tap_ack(console: Console) -> None:
    fresh = new_case(console.runtime.engine, title="某中学食堂投诉")  # quick report due 09:30
    late = new_case(console.runtime.engine, grade="二级", at=T0 - timedelta(hours=3))
    with console.client() as wang:
        sign_in(wang, "wang")
        mine = wang.get("/my")
        assert mine.status_code == 200
        assert rows(mine.text, "my")[:2] == [f"my-{late}-quick_report", f"my-{fresh}-quick_report"]
        assert "已超时" in mine.text and "剩余 25分钟" in mine.text
        form = {"csrf": csrf_of(mine), "action": "ack", "obligation": "quick_report"}
        tapped = wang.post(f"/cases/{fresh}/act", data={**form, "next": "/my"})
        assert tapped.status_code == 303 and tapped.headers["location"] == "/my"
        again = wang.get("/my").text
        row = again[again.index(f'id="my-{fresh}-quick_report"') :].split("</tr>")[0]
        assert "已签收" in row and f'id="my-{fresh}-quick_report-ack"' not in row
        assert "已签收：案件" in again  # the flash, back on the list


def test_a_school_sees_its_verification_not_the_offices_quick_report(console: Console) -> None:
    case_id = new_case(console.runtime.engine)
    act(console, "report", case_id, "wangfang")
    act(console, "assess", case_id, "liqiang", grade="一级", category="inquiry", units="school")
    act(console, "dispatch", case_id, "wangfang")
    with console.client() as zhang:
        sign_in(zhang, "zhang")
        listed = rows(zhang.get("/my").text, "my")
    assert f"my-{case_id}-verification" in listed
    assert not [r for r in listed if "first_response" in r or "quick_report" in r]


def test_awaiting_my_approval_lists_requests_i_may_decide_and_deciding_works(
    console: Console,
) -> None:
    case_id = new_case(console.runtime.engine)
    until = (console.clock.at + timedelta(hours=6)).isoformat()
    act(console, "extend", case_id, "wangfang", subject="quick_report", until=until, reason="等待")
    with session_scope(console.runtime.engine) as session:
        [request] = session.exec(select(ApprovalRequest)).all()
    with console.client() as wang, console.client() as li:
        sign_in(wang, "wang")
        sign_in(li, "li")
        assert rows(wang.get("/approvals").text, "awaiting") == []  # her own request
        waiting = li.get("/approvals")
        assert rows(waiting.text, "awaiting") == [f"awaiting-{request.id}"]
        assert "王芳" in waiting.text and "延期审批" in waiting.text
        form = {"csrf": csrf_of(waiting), "action": "approve", "request": str(request.id)}
        decided = li.post(f"/cases/{case_id}/act", data={**form, "next": "/approvals"})
        assert decided.status_code == 303 and decided.headers["location"] == "/approvals"
        assert rows(li.get("/approvals").text, "awaiting") == []


def test_the_board_and_the_case_page_say_who_must_act_next_and_the_time_left(
    console: Console,
) -> None:
    case_id = new_case(console.runtime.engine)
    with console.client() as wang:
        sign_in(wang, "wang")
        board = wang.get("/").text
        line = board[board.index(f'data-case="{case_id}"') :].split("</tr>")[0]
        assert '<td class="who">王芳</td>' in line  # the quick report: office staff
        page = wang.get(f"/cases/{case_id}").text
    step = page[page.index('id="next-step"') :].split("</p>")[0]
    assert "下一步：<strong>快报</strong>" in step and "由 <strong>王芳</strong> 办理" in step
    assert "剩余 25分钟" in step
