"""A whole case through the console in a real browser (Debian's Chromium driven by Playwright),
with the runner a console process has carrying out each action's steps through the `case` flow
and real Apprise delivering to the local receiver: the office signs in, reports, assesses
(grade, category, the school as the responsible unit) and dispatches the contact sheet; the
school's responsible person opens the 完成 link in the contact sheet as they received it and
returns the verification; the office drafts the statement; the grade's approver signs in and
approves it; the office responds, tracks, closes with an outcome and files the review; the case
is then in 案例库.

Skipped only when /usr/bin/chromium is missing outside CI; with $CI set that is a failure."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

from deployments.wakeup import start_wake_thread
from models.repo.cases import get_case
from models.store.db import session_scope
from tasks.runtime import Runtime
from tests.support.browser import require_chromium
from tests.support.escalation import T0, new_case
from tests.support.web import (
    PASSWORD,
    Clock,
    links_in,
    messages_to,
    served,
)
from yuqing.localservers import WebhookReceiver

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

# Every action is a task run of its own: the app reports it to a Prefect API.
pytestmark = [pytest.mark.flows, pytest.mark.usefixtures("prefect_harness")]


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("案件看板"))).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login"))


def case_form(page: Page, action: str) -> None:
    """Open the case-level form of `action` (its <details>)."""
    page.locator(f"details:has(#act-case-{action}) > summary").click()


def submit(page: Page, action: str, label: str, expect_flash: str) -> None:
    page.locator(f"#act-case-{action}").get_by_role("button", name=f"确认{label}").click()
    expect(page.get_by_role("status")).to_contain_text(expect_flash)


def wait_for_message(receiver: WebhookReceiver, person: str, marker: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [m for m in messages_to(receiver, person) if marker in m]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"{person} never got {marker!r}: {messages_to(receiver, person)}")


def test_a_whole_case_through_the_console_and_the_contact_sheets_link(
    page: Page, console_office: tuple[Path, Runtime, int], receiver: WebhookReceiver
) -> None:
    config, runtime, port = console_office
    case_id = new_case(runtime.engine, title="某中学食堂饭菜变质")  # 一级
    clock = Clock(T0 + timedelta(minutes=5))
    _, waker = start_wake_thread(runtime, str(config), escalate=False)
    try:
        with served(config, clock, port=port, after_change=waker.poke) as base:
            sign_in(page, base, "wang")
            page.goto(f"{base}/cases/{case_id}")
            case_form(page, "report")
            submit(page, "report", "报送快报", "发现 → 快报")
            wait_for_message(receiver, "chenjun", "舆情快报")  # 一级's report targets

            clock.at += timedelta(minutes=5)
            case_form(page, "assess")
            form = page.locator("#act-case-assess")
            form.get_by_label("确认等级").select_option(label="一级")
            form.get_by_label("类别").select_option(label="询问、质疑、诉求")
            form.get_by_label("责任单位", exact=True).select_option(["school"])
            submit(page, "assess", "研判", "快报 → 研判")
            expect(page.locator("#units")).to_have_text("市一中")

            clock.at += timedelta(minutes=5)
            case_form(page, "dispatch")
            submit(page, "dispatch", "下发联系单", "研判 → 交办")
            sheet = wait_for_message(receiver, "zhangwei", "网络舆情联系单")
            assert wait_for_message(receiver, "liuyang", "网络舆情联系单")
            sign_out(page)

            # The school's responsible person acts from the contact sheet as received.
            clock.at += timedelta(minutes=40)
            page.goto(links_in(sheet)["complete"])
            expect(page.get_by_role("heading", name="确认完成")).to_be_visible()
            expect(page.locator("main")).to_contain_text("核查反馈")
            page.get_by_label("核查结果").fill("经核查，一批蔬菜存放不当，已封存整改")
            page.get_by_role("button", name="确认完成").click()
            expect(page.get_by_role("status")).to_contain_text("交办 → 核查")

            sign_in(page, base, "wang")
            page.goto(f"{base}/cases/{case_id}")
            expect(page.locator("#stage")).to_have_text("核查")
            clock.at += timedelta(minutes=5)
            case_form(page, "draft")
            page.locator("#act-case-draft").get_by_label("通稿内容").fill("市一中已立即整改")
            submit(page, "draft", "提交通稿", "待审批")
            expect(page.locator("#approvals")).to_contain_text("待审批")
            expect(page.locator("#approvals form")).to_have_count(0)  # not her own draft
            wait_for_message(receiver, "chenjun", "待审批：通稿审定")
            sign_out(page)

            # 一级's statement approver (the principal leader) signs in and approves it.
            sign_in(page, base, "chen")
            page.goto(f"{base}/cases/{case_id}")
            clock.at += timedelta(minutes=5)
            page.locator("#approvals").get_by_role("button", name="同意").click()
            expect(page.get_by_role("status")).to_contain_text("已批准通稿审定申请")
            expect(page.locator("#stage")).to_have_text("通稿审定")
            sign_out(page)

            sign_in(page, base, "wang")
            page.goto(f"{base}/cases/{case_id}")
            clock.at += timedelta(minutes=10)
            case_form(page, "respond")
            page.locator("#act-case-respond").get_by_label("回应链接").fill(
                "https://www.example.gov.cn/notice/1"
            )
            submit(page, "respond", "回应发布", "通稿审定 → 回应发布")
            case_form(page, "track")
            submit(page, "track", "跟踪", "回应发布 → 跟踪")
            clock.at += timedelta(hours=6)  # within the sign-in lifetime
            case_form(page, "close")
            form = page.locator("#act-case-close")
            form.get_by_label("办结结果").select_option(label="平息")
            form.get_by_label("办结说明").fill("家长认可整改")
            submit(page, "close", "办结", "已办结")
            expect(page.locator("#outcome")).to_have_text("平息")
            case_form(page, "review")
            form = page.locator("#act-case-review")
            form.get_by_label("总结").fill("快报及时，核查到位")
            form.get_by_label("原因分析").fill("食堂管理疏漏")
            form.get_by_label("经验教训").fill("加强食品安全日常检查")
            submit(page, "review", "总结评估", "办结 → 总结评估")

            page.get_by_role("link", name="案例库").click()
            expect(page.locator(f"#library-{case_id}")).to_contain_text("加强食品安全日常检查")
            page.get_by_label("关键词（标题、总结、原因、经验教训）").fill("食品安全")
            page.get_by_role("button", name="检索").click()
            expect(page.locator(f"#library-{case_id}")).to_be_visible()
            page.get_by_label("关键词（标题、总结、原因、经验教训）").fill("无此案例")
            page.get_by_role("button", name="检索").click()
            expect(page.locator("#library")).to_have_count(0)
    finally:
        waker.halt()
    with session_scope(runtime.engine) as session:
        case = get_case(session, case_id)
    assert (case.stage.value, case.outcome, case.units) == ("reviewed", "subsided", ["school"])
