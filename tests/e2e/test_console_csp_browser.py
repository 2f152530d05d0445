"""The console's Content-Security-Policy as a real browser enforces it: Debian's Chromium driven by
Playwright against the real app on uvicorn. Every page (sign-in, board, case, library, register,
a link's confirmation) loads with no violation reported, its style and countdown script coming
from the app's own static files; a script injected inline does not run; and a page of another
site cannot frame the console (`frame-ancestors 'none'`).

Skipped only when /usr/bin/chromium is missing outside CI; with $CI set that is a failure."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

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
from yuqing.localservers import FeedServer, WebhookReceiver

# Every action is a task run of its own: the app reports it to a Prefect API.
pytestmark = pytest.mark.usefixtures("prefect_harness")

require_chromium()

from playwright.sync_api import ConsoleMessage, Page, expect  # noqa: E402


def listen(page: Page) -> list[str]:
    """What the browser reports on the console (CSP violations are reported there)."""
    seen: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        seen.append(message.text)

    page.on("console", keep)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def test_every_page_runs_under_the_policy_without_a_violation(
    page: Page, console_office: tuple[Path, Runtime, int], receiver: WebhookReceiver
) -> None:
    config, runtime, port = console_office
    case_id = new_case(runtime.engine, title="某中学食堂投诉")  # quick report due 09:30
    at = T0 + timedelta(minutes=31)
    cycle(runtime.engine, at, runtime.channel_url, ctx=context_for(runtime))
    [alert] = messages_to(receiver, "wangfang")
    reported = listen(page)
    clock = Clock(T0 + timedelta(minutes=35))
    with served(config, clock, port=port) as base:
        page.goto(f"{base}/login")
        page.get_by_label("用户名").fill("wang")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name=re.compile("案件看板"))).to_be_visible()
        for path in (f"/cases/{case_id}", "/library", "/cases/new", "/stuck", "/"):
            page.goto(f"{base}{path}")
            expect(page.locator("main")).to_be_visible()
        # The countdown script came from /static and read the server's clock from the page.
        assert page.evaluate("typeof yqTick") == "function"
        skew = page.evaluate("window.yqSkew")
        assert isinstance(skew, int | float)  # the app's clock less the browser's, in ms
        page.evaluate("yqTick()")
        expect(page.locator("#board .countdown").first).to_have_text(re.compile(r"已超时 \d+分钟"))
        # The style sheet is the app's file: an overdue row is red.
        overdue = page.locator("#board tbody tr").first
        assert overdue.evaluate("r => getComputedStyle(r).color") == "rgb(198, 40, 40)"
        page.goto(links_in(alert)["ack"])
        expect(page.get_by_role("heading", name="确认签收")).to_be_visible()
        assert [m for m in reported if "Content Security Policy" in m] == []
        # A script that got into the page inline would not run.
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__inline = 1'; document.body.appendChild(s); }"
        )
        assert page.evaluate("window.__inline") is None
        assert [m for m in reported if "Content Security Policy" in m]


def test_another_site_cannot_frame_the_console(
    page: Page, console_office: tuple[Path, Runtime, int], feed_server: FeedServer
) -> None:
    """The other site (a local server on another port: another origin) frames one page of its
    own, which shows, and the console's sign-in page, which the browser refuses to show."""
    config, _, port = console_office
    html = "text/html; charset=utf-8"
    own = feed_server.serve("/own", "<label for=u>本站输入框</label><input id=u>".encode(), html)
    with served(config, Clock(T0), port=port) as base:
        lure = feed_server.serve(
            "/lure",
            f'<h1>抽奖</h1><iframe id="own" src="{own}"></iframe>'
            f'<iframe id="victim" src="{base}/login"></iframe>'.encode(),
            html,
        )
        with page.expect_console_message(lambda m: "frame-ancestors 'none'" in m.text) as refused:
            page.goto(lure)
        expect(page.get_by_role("heading", name="抽奖")).to_be_visible()
        expect(page.frame_locator("#own").get_by_label("本站输入框")).to_be_visible()
        expect(page.frame_locator("#victim").get_by_label("用户名")).to_have_count(0)
        assert f"Framing '{base}/'" in refused.value.text
