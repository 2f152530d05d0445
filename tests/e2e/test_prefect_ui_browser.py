"""Prefect's UI works on whatever port `yuqing serve` gives its Prefect server, in a real browser
(Debian's Chromium through Playwright): the UI's settings name that server's own API, every call
the page makes to an API goes to it (none to Prefect's default port 4200), and the UI shows the
data the API serves (the flow it knows), not "can't connect". The server is started the way serve
starts its own (`deployments.local_server.start_server`, UI on)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deployments.local_server import LocalServer, start_server
from tests.support.browser import require_chromium
from tests.support.web import free_port

require_chromium()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    started = start_server(tmp_path / "prefect-home", port=free_port(), ui=True)
    try:
        yield started
    finally:
        started.stop()


def test_the_ui_on_any_port_asks_its_own_server(server: LocalServer, page: Any) -> None:
    settings = httpx.get(f"{server.ui}/ui-settings", timeout=30).json()
    assert settings["api_url"] == server.url
    # Something for the UI to show: a flow the server knows.
    made = httpx.post(f"{server.url}/flows/", json={"name": "yuqing-ui-check"}, timeout=30)
    assert made.status_code in (200, 201)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server.ui}/flows")
    page.get_by_text("yuqing-ui-check").first.wait_for(timeout=60_000)
    api_calls = [url for url in requested if "/api/" in url]
    assert api_calls and all(url.startswith(server.url) for url in api_calls), api_calls
    assert not [url for url in requested if ":4200" in url]
