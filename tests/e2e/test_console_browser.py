"""The console and the one-click links in a real browser: Debian's Chromium driven by Playwright
against the real app on uvicorn (a thread, a free port), a real SQLite database and real Apprise
delivering to the local receiver. Path (a): sign in, see the board (nearest deadline first,
overdue in red, filter by grade), open a case, act on it, see the timeline change. Path (b): take
the 签收 link out of the alert as the receiver got it, open it, confirm, and see the obligation
acknowledged and the no-acknowledgement chain stop while the no-completion chain goes on. And a
case registered by hand with `<script>` in its title shows it as text.

Skipped only when /usr/bin/chromium is missing outside CI; with $CI set that is a failure."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from models.policy.states import Chain
from models.repo.cases import case_obligations
from models.store.db import session_scope
from models.store.tables import Notification
from tasks.runtime import Runtime, context_for
from tests.support.browser import require_chromium
from tests.support.escalation import T0, cycle, new_case
from tests.support.web import (
    PASSWORD,
    Clock,
    links_in,
    messages_to,
    served,
)
from yuqing.localservers import WebhookReceiver

# Every action is a task run of its own: the app reports it to a Prefect API.
pytestmark = pytest.mark.usefixtures("prefect_harness")

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("用户名").fill("wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("案件看板"))).to_be_visible()


def test_sign_in_see_the_board_open_a_case_act_and_see_the_timeline_change(
    page: Page, console_office: tuple[Path, Runtime, int]
) -> None:
    config, runtime, port = console_office
    fresh = new_case(runtime.engine, title="某中学食堂投诉")  # 一级: quick report due 09:30
    late = new_case(
        runtime.engine, grade="二级", at=T0 - timedelta(hours=3), title="某小学放学拥堵"
    )
    clock = Clock(T0 + timedelta(minutes=5))
    with served(config, clock, port=port) as base:
        sign_in(page, base)
        rows = page.locator("#board tbody tr")
        expect(rows).to_have_count(2)
        # Nearest deadline first: the lapsed 二级 case, in red, then the fresh one counting down.
        expect(rows.nth(0)).to_have_attribute("data-case", str(late))
        expect(rows.nth(0)).to_have_class(re.compile("overdue"))
        expect(rows.nth(0).locator(".countdown")).to_contain_text("已超时")
        assert rows.nth(0).evaluate("r => getComputedStyle(r).color") == "rgb(198, 40, 40)"
        expect(rows.nth(1)).to_contain_text("一级")
        expect(rows.nth(1).locator(".countdown")).to_have_text("剩余 25分钟")
        page.get_by_label("等级").select_option(label="一级")
        page.get_by_role("button", name="筛选").click()
        expect(rows).to_have_count(1)

        page.get_by_role("link", name="某中学食堂投诉").click()
        expect(page.get_by_role("heading", name=f"案件 {fresh}：某中学食堂投诉")).to_be_visible()
        timeline = page.locator("#timeline tr")
        before = timeline.count()
        quick = page.locator("#obligation-quick_report")
        expect(quick.locator(".acked")).to_have_text("")

        clock.at = T0 + timedelta(minutes=6)
        quick.get_by_text("签收", exact=True).click()
        quick.get_by_role("button", name="确认签收").click()
        expect(page.get_by_role("status")).to_contain_text("已签收")
        expect(quick.locator(".acked")).to_contain_text("王芳")
        expect(timeline).to_have_count(before + 1)
        expect(timeline.last).to_contain_text("签收：快报")
        expect(page.locator("#actions")).to_contain_text("王芳")

        clock.at = T0 + timedelta(minutes=8)
        quick.get_by_text("完成", exact=True).click()
        quick.get_by_label("办理说明").fill("已电话报告值班领导")
        quick.get_by_role("button", name="确认完成").click()
        expect(page.get_by_role("status")).to_contain_text("已完成")
        expect(page.locator("#obligation-quick_report .status")).to_have_text("已完成")
        expect(page.locator("#timeline")).to_contain_text("已电话报告值班领导")
        assert timeline.count() > before + 1
    with session_scope(runtime.engine) as session:
        done = next(o for o in case_obligations(session, fresh) if o.key == "quick_report")
    assert (done.acked_by, done.completed_by) == ("wangfang", "wangfang")


def test_the_link_in_the_received_alert_acknowledges_and_stops_the_no_ack_chain(
    page: Page, console_office: tuple[Path, Runtime, int], receiver: WebhookReceiver
) -> None:
    config, runtime, port = console_office
    case_id = new_case(runtime.engine)
    ctx = context_for(runtime)

    def sweep(minutes: int) -> None:
        at = T0 + timedelta(minutes=minutes)
        cycle(runtime.engine, at, runtime.channel_url, ctx=ctx)

    sweep(31)  # the quick report (due 09:30) lapsed: level 1 to wangfang and the duty officer
    [alert] = messages_to(receiver, "wangfang")
    ack_link = links_in(alert)["ack"]
    clock = Clock(T0 + timedelta(minutes=33))
    with served(config, clock, port=port):
        page.goto(ack_link)
        expect(page.get_by_role("heading", name="确认签收")).to_be_visible()
        expect(page.locator("main")).to_contain_text(f"{case_id}号 某中学食堂投诉")
        page.get_by_role("button", name="确认签收").click()
        expect(page.get_by_role("status")).to_contain_text("已签收")
        page.goto(ack_link)  # a second use is refused
        expect(page.get_by_role("alert")).to_contain_text("此链接已使用过")
    with session_scope(runtime.engine) as session:
        quick = next(o for o in case_obligations(session, case_id) if o.key == "quick_report")
        waiting = session.exec(
            select(Notification).where(col(Notification.ack_due_at).is_not(None))
        ).all()
    assert (quick.acked_by, quick.acked_at) == ("wangfang", clock.at)
    # Without the ack these alerts' 10-minute windows would be followed up by the sweep at 09:42.
    due = [n.ack_due_at for n in waiting if n.ack_due_at is not None]
    assert due and max(due) <= T0 + timedelta(minutes=42)

    seen = len(receiver.received)
    sweep(42)
    sweep(46)  # level 2 of the no-completion chain was due at 09:45: acknowledging did not stop it
    later = [r.json()["title"] + r.json()["message"] for r in receiver.received[seen:]]
    assert not [m for m in later if "未签收" in m]
    with session_scope(runtime.engine) as session:
        chains = {n.chain for n in session.exec(select(Notification)).all()}
    assert Chain.NO_ACK not in chains
    assert [m for m in later if "事项：快报，" in m and "已超时" in m]


def test_a_case_registered_by_hand_shows_script_in_its_title_as_text(
    page: Page, console_office: tuple[Path, Runtime, int]
) -> None:
    config, _, port = console_office
    title = "<script>window.__xss = 1</script>市民来电：某中学门口拥堵"
    with served(config, Clock(T0), port=port) as base:
        sign_in(page, base)
        page.get_by_role("link", name="人工登记").click()
        page.get_by_label("来源方式").select_option(label="热线电话")
        page.get_by_label("标题").fill(title)
        page.get_by_label("内容摘要").fill('<img src=x onerror="window.__xss = 2">早高峰拥堵')
        page.get_by_role("button", name="登记").click()
        expect(page.get_by_role("status")).to_contain_text("登记成功")
        expect(page.locator("h1")).to_contain_text(title)
        expect(page.locator("#items")).to_contain_text("<img src=x")
        expect(page.locator("#timeline")).to_contain_text("人工登记（热线电话）")
        page.get_by_role("link", name="案件看板").click()
        expect(page.locator("#board")).to_contain_text(title)
        assert page.evaluate("window.__xss") is None
        assert page.locator("script", has_text="__xss").count() == 0
