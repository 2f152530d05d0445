"""The browser the console tests drive: Debian's Chromium through Playwright, one per module,
a fresh context (zh-CN, Asia/Shanghai) per test. A module that needs it calls
`require_chromium()` at import: skipped only when /usr/bin/chromium is missing outside CI; with
$CI set that is a failure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (Debian's chromium package)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()
