"""Every console page on a phone held upright (390×844) and on a small laptop (1366×900), in
Debian's Chromium driven by Playwright against the real app: no page is wider than the screen
and no text wraps one character per line (every folded form opened first, so forms count too).
The office is `tests.support.showcase` (a case at the contact sheet with a statement waiting, an
overdue case alerted, a reviewed case, a stored report, a link), seen by the office's staff and
by a school's responsible person. `bench/pages.py` prints the same measurements as figures.

Skipped only when /usr/bin/chromium is missing outside CI; with $CI set that is a failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.runtime import Runtime
from tests.support import showcase
from tests.support.browser import require_chromium
from tests.support.layout import SIZES, measure
from tests.support.web import PASSWORD

require_chromium()

from playwright.sync_api import Browser, Page  # noqa: E402

UNIT_PAGES = ("看板", "我的待办", "待我审批", "案件（联系单）", "案例库", "问责台账")


@pytest.fixture(scope="module")
def office(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, showcase.Showcase, Runtime]]:
    with showcase.served_showcase(tmp_path_factory.mktemp("layout")) as office:
        yield office


def _page(browser: Browser, size: str) -> Page:
    width, height = SIZES[size]
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": width, "height": height}
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_page_fits_the_screen_without_one_character_columns(
    browser: Browser, office: tuple[str, showcase.Showcase, Runtime], size: str
) -> None:
    base, show, _ = office
    page = _page(browser, size)
    page.goto(f"{base}/login")
    seen = {"登录": measure(page)}
    _sign_in(page, base, "wang")
    for name, path in showcase.pages(show).items():
        page.goto(base + path)
        seen[name] = measure(page)
    page.context.clear_cookies()
    _sign_in(page, base, "zhang")  # a school's responsible person: their scope's pages
    for name in UNIT_PAGES:
        page.goto(base + showcase.pages(show)[name])
        seen[f"{name}（学校）"] = measure(page)
    page.context.close()
    problems = {name: layout.problems() for name, layout in seen.items() if layout.problems()}
    assert problems == {}, problems
    assert len(seen) == len(showcase.pages(show)) + len(UNIT_PAGES) + 1
