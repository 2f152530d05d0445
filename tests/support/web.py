"""Helpers for the web tests: an office config with the `[web]` section, a link key and console
accounts (and, as the `console_office` fixture, that office prepared); a clock the running app
reads and the test moves; the real app served by uvicorn on a free port in a thread; and the
action links out of the messages a receiver got."""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from deployments.pids import owner_token
from deployments.serve_record import ServeRecord, write_serve
from models.policy.catalogue import CATALOGUE, LINK_ACTIONS
from tasks.runtime import Runtime, prepare
from tests.support.configs import write_office_config
from yuqing.localservers import WebhookReceiver
from yuqing.web.security import hash_password
from yuqing.web.server import start_web_thread

LINK_KEY = "7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a"
PASSWORD = "正确的口令-2026"
USERS = (  # username, person
    ("wang", "wangfang"),
    ("li", "liqiang"),
    ("chen", "chenjun"),
    ("zhang", "zhangwei"),  # the school's responsible person
)
_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose: hash once per test session
LABELS = {CATALOGUE[name].label: name for name in LINK_ACTIONS}  # as messages name them
LINK_RE = re.compile(rf"^({'|'.join(LABELS)})：(http\S+)$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_web_config(
    directory: Path,
    *,
    database_url: str,
    receiver: WebhookReceiver,
    port: int,
    link_key: str | None = LINK_KEY,
    hashes: Mapping[str, str] | None = None,
    web_toml: str = "",
    base_url: str | None = None,
    roles: Mapping[str, list[str]] | None = None,
) -> Path:
    """The office of `write_office_config`, its links pointing at 127.0.0.1:`port`; every
    account's password is PASSWORD unless `hashes` gives one its own hash; `web_toml` adds lines
    to the [web] section."""
    secrets = f'link_key = "{link_key}"' if link_key else ""
    config = write_office_config(
        directory, database_url=database_url, receiver=receiver, extra_secrets=secrets, roles=roles
    )
    users = "".join(
        f'[[web.users]]\nusername = "{name}"\nperson = "{person}"\n'
        f'password_hash = "{(hashes or {}).get(name, _HASH)}"\n\n'
        for name, person in USERS
    )
    base = base_url or f"http://127.0.0.1:{port}"
    web = f'\n[web]\nport = {port}\nbase_url = "{base}"\n{web_toml}\n\n{users}'
    config.write_text(config.read_text(encoding="utf-8") + web, encoding="utf-8")
    return config


@pytest.fixture
def console_office(
    tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[tuple[Path, Runtime, int]]:
    """The office of `write_web_config` on SQLite under `tmp_path`, prepared: its config file,
    its runtime and the free port its links point at (the console tests serve it there)."""
    port = free_port()
    config = write_web_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver, port=port
    )
    runtime = prepare(str(config))
    yield config, runtime, port
    runtime.engine.dispose()


@dataclass
class Clock:
    """The time the app under test reads (`app.state.now`); the test moves it."""

    at: datetime

    def now(self) -> datetime:
        return self.at


@contextmanager
def served(
    config: Path,
    clock: Clock,
    *,
    port: int,
    after_change: Callable[[int], None] = lambda _case_id: None,
) -> Iterator[str]:
    """The real app on uvicorn in a thread; yields its base URL."""
    web = start_web_thread(str(config), port=port, now=clock.now, after_change=after_change)
    assert web is not None, f"the app did not start on port {port}"
    try:
        yield web.url
    finally:
        web.stop()


def links_in(message: str) -> dict[str, str]:
    """action → URL of every action link in an alert as received."""
    return {LABELS[label]: url for label, url in LINK_RE.findall(message)}


def messages_to(receiver: WebhookReceiver, person: str) -> list[str]:
    with receiver.lock:
        received = list(receiver.received)
    return [
        r.json()["title"] + "\n" + r.json()["message"]
        for r in received
        if r.path == f"/hook/{person}"
    ]


@contextmanager
def serve_on_this_machine(
    tmp_path: Path, receiver: WebhookReceiver, prefect_api: str
) -> Iterator[tuple[str, str]]:
    """An office whose data directory records a running serve: this process, its console on a
    free port (as serve runs it, with the secret a command posts its action with) and the Prefect
    API. Yields the config's path and the console's address; the console stops after."""
    port = free_port()
    config = write_web_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver, port=port
    )
    token = secrets.token_urlsafe(32)
    web = start_web_thread(str(config), port=port, act_token=token)
    assert web is not None
    try:
        data = tmp_path / "data"
        owner = owner_token("serve", data)
        write_serve(
            data, ServeRecord(os.getpid(), prefect_api, web.url, owner=owner, act_token=token)
        )
        yield str(config), web.url
    finally:
        web.stop()
