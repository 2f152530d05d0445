"""The console's channel page in a real browser (Debian's Chromium through Playwright, the real
app on uvicorn, SQLite, real Apprise to the local receiver): after the receiver refused three
sends in a row, a signed-in operator follows 通知渠道 from the header and sees the failing
channels marked 故障（已熔断） in red with the next probe, the others 正常; signed out, the page
sends them to sign in.

Skipped only when /usr/bin/chromium is missing outside CI; with $CI set that is a failure."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tasks.runtime import context_for, prepare
from tests.support.escalation import T0, cycle, new_case
from tests.support.web import PASSWORD, Clock, free_port, served, write_web_config
from yuqing.localservers import WebhookReceiver

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (Debian's chromium package)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

DUE = T0 + timedelta(minutes=30)


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


def test_the_channel_page_shows_which_channels_are_down(
    page: Page, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    port = free_port()
    config = write_web_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver, port=port
    )
    runtime = prepare(str(config))
    new_case(runtime.engine)  # 一级: level 1 to 王芳, 李强, 赵敏 at 09:30
    receiver.refuse()
    for seconds in (0, 10, 30):
        cycle(
            runtime.engine,
            DUE + timedelta(seconds=seconds),
            runtime.channel_url,
            ctx=context_for(runtime),
        )
    with served(config, Clock(DUE + timedelta(minutes=1)), port=port) as base:
        page.goto(f"{base}/channels")
        expect(page).to_have_url(re.compile(r"/login\?next=/channels"))
        page.get_by_label("用户名").fill("wang")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("link", name="通知渠道").click()
        expect(page.get_by_role("heading", name="通知渠道")).to_be_visible()
        down = page.locator('#channels tr[data-state="down"]')
        expect(down).to_have_count(3)
        wang = page.locator('#channels tr[data-channel="wangfang_hook"]')
        expect(wang).to_contain_text("故障（已熔断）")
        expect(wang).to_contain_text("王芳")
        expect(wang).to_contain_text("2026-11-22 09:30")  # the next probe, local time
        assert wang.locator("td.bad").evaluate("c => getComputedStyle(c).color") == (
            "rgb(198, 40, 40)"
        )
        expect(page.locator('#channels tr[data-channel="sunli_hook"]')).to_contain_text(
            "尚无发送记录"
        )
        expect(page.locator("#down")).to_contain_text("王芳的Webhook")  # named, not its id
    runtime.engine.dispose()


def test_the_channel_page_counts_refusals_by_the_platforms_code(
    page: Page, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """王芳's first channel is a WeCom bot whose key was revoked: the platform answers 93000, the
    alert goes to her next channel, and the page lists the refusal by its code and meaning."""
    from yuqing.standins import WeComStandIn

    port = free_port()
    config = write_web_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver, port=port
    )
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('channels = ["wangfang_hook"]', 'channels = ["office_bot", "wangfang_hook"]'),
        encoding="utf-8",
    )
    with WeComStandIn() as wecom:
        secrets = tmp_path / "secrets.toml"
        revoked = wecom.url("revokedkey")
        secrets.write_text(secrets.read_text(encoding="utf-8") + f'office_bot = "{revoked}"\n')
        runtime = prepare(str(config))
        new_case(runtime.engine)
        ctx = context_for(runtime)
        cycle(runtime.engine, DUE, runtime.channel_url, ctx=ctx)
    assert [i for p, i in receiver.delivered if p == "/hook/wangfang"]  # fell over
    with served(config, Clock(DUE + timedelta(minutes=1)), port=port) as base:
        page.goto(f"{base}/login?next=/channels")
        page.get_by_label("用户名").fill("wang")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="平台拒收（按错误码）")).to_be_visible()
        row = page.locator('#refusals tr[data-channel="office_bot"][data-code="93000"]')
        expect(row).to_contain_text("机器人 webhook 地址无效，或机器人已被移出群聊")
        expect(row.locator("td").nth(3)).to_have_text("1")
        bot = page.locator('#channels tr[data-channel="office_bot"]')
        expect(bot).to_contain_text("企业微信错误码 93000")
        expect(bot).not_to_contain_text("revokedkey")
    runtime.engine.dispose()
