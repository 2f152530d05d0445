"""The console for the web tests: the real app on uvicorn in a thread on a free port, over the
office of `tests.support.web` on the test's database, its clock held by the test; browsers as
httpx clients (optionally behind a proxy on this host forwarding a client address), signed in
through the real form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tasks.runtime import Runtime, prepare
from tests.support.escalation import T0
from tests.support.web import PASSWORD, Clock, free_port, served, write_web_config
from yuqing.localservers import WebhookReceiver

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
PROXY_HERE = 'trusted_proxies = ["127.0.0.1"]'  # a reverse proxy on this host


@dataclass
class Console:
    config: Path
    runtime: Runtime
    clock: Clock
    url: str
    directory: Path

    def client(self, address: str | None = None) -> httpx.Client:
        """A browser; `address` is the client address a proxy on this host would forward."""
        headers = {"X-Forwarded-For": address} if address else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@contextmanager
def running_console(
    database_url: str,
    directory: Path,
    receiver: WebhookReceiver,
    *,
    web_toml: str = PROXY_HERE,
    base_url: str | None = None,
) -> Iterator[Console]:
    """The console behind a reverse proxy on this host (whose forwarded client addresses it
    believes) unless `web_toml` says otherwise."""
    port = free_port()
    config = write_web_config(
        directory,
        database_url=database_url,
        receiver=receiver,
        port=port,
        web_toml=web_toml,
        base_url=base_url,
    )
    runtime = prepare(str(config))
    clock = Clock(T0)
    try:
        with served(config, clock, port=port) as url:
            yield Console(config, runtime, clock, url, directory)
    finally:
        runtime.engine.dispose()


def csrf_of(response: httpx.Response) -> str:
    match = CSRF_RE.search(response.text)
    assert match is not None, response.text[:500]
    return match.group(1)


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/login"))
    form = {"csrf": token, "username": username, "password": password, "next": "/"}
    return client.post("/login", data=form)
