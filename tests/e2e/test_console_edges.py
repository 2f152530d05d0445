"""The web app's edges against the real app on uvicorn (httpx over a real socket), on SQLite and
PostgreSQL: the session cookie is `Secure` when the console's public address is https (behind a
TLS proxy the app sees plain HTTP) and not otherwise; a client address in X-Forwarded-For is
believed only from a configured trusted proxy (so a client cannot pick its address and dodge the
per-address sign-in throttle); and every route numbering a record in its path answers an id past
64 bits (or 0, or not a number) with a 4xx naming the field, never a 500, changing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from models.store.db import session_scope
from models.store.tables import SignInAttempt
from tests.support.console import Console, csrf_of, running_console, sign_in
from tests.support.dbstate import changed, snapshot
from tests.support.web import PASSWORD
from yuqing.localservers import WebhookReceiver

HUGE = (str(2**63), str(2**64), "9" * 30, "0", "-1", "1e3")
ROUTES = (  # (method, path with {n}) of every route numbering a record
    ("GET", "/cases/{n}"),
    ("POST", "/cases/{n}/act"),
    ("POST", "/accountability/{n}/judge"),
    ("GET", "/reports/{n}/file"),
    ("GET", "/reports/{n}/download"),
    ("POST", "/reports/{n}/rerun"),
)


@pytest.fixture
def behind_tls(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Console]:
    """The console whose public address is https (a TLS proxy in front), trusting no proxy."""
    with running_console(
        database_url, tmp_path, receiver, web_toml="", base_url="https://yq.example.gov.cn"
    ) as console:
        yield console


@pytest.fixture
def plain(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Console]:
    """The console on plain http, trusting no proxy."""
    with running_console(database_url, tmp_path, receiver, web_toml="") as console:
        yield console


def _cookie_line(response_headers: list[tuple[str, str]], name: str) -> str:
    (line,) = [v for k, v in response_headers if k.lower() == "set-cookie" and v.startswith(name)]
    return line


def test_the_session_cookie_is_secure_when_the_public_address_is_https(
    behind_tls: Console,
) -> None:
    with behind_tls.client() as client:  # plain HTTP here, as behind the TLS proxy
        page = client.get("/login")
        csrf_line = _cookie_line(page.headers.multi_items(), "yq_csrf=")
        assert "; secure" in csrf_line.lower()
        seed = csrf_line.split(";")[0].removeprefix("yq_csrf=")
        client.cookies.clear()  # the browser sends it back over HTTPS only: here, by hand
        form = {"csrf": csrf_of(page), "username": "wang", "password": PASSWORD, "next": "/"}
        signed = client.post("/login", data=form, headers={"Cookie": f"yq_csrf={seed}"})
    assert signed.status_code == 303
    assert "; secure" in _cookie_line(signed.headers.multi_items(), "yq_session=").lower()


def test_the_session_cookie_is_not_secure_on_plain_http(plain: Console) -> None:
    with plain.client() as client:
        signed = sign_in(client, "wang")
    assert signed.status_code == 303
    assert "secure" not in _cookie_line(signed.headers.multi_items(), "yq_session=").lower()


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(plain: Console) -> None:
    with plain.client("198.51.100.7") as client:  # the header, sent straight to the app
        assert sign_in(client, "wang", "错的").status_code == 401
    with session_scope(plain.runtime.engine) as session:
        addresses = set(session.exec(select(SignInAttempt.address)).all())
    assert addresses == {"127.0.0.1"}  # the peer's own address: the header changed nothing


@pytest.mark.parametrize("number", HUGE)
def test_a_record_number_past_the_columns_is_a_4xx_on_every_route(
    plain: Console, number: str
) -> None:
    with plain.client() as client:
        sign_in(client, "chen")  # office head and principal leader: may open every page
        token = csrf_of(client.get("/"))
        before = snapshot(plain.runtime.engine)
        for method, path in ROUTES:
            url = path.format(n=number)
            answer = client.request(method, url, data={"csrf": token} if method == "POST" else None)
            assert 400 <= answer.status_code < 500, (url, answer.status_code)
            assert "Traceback" not in answer.text
            if answer.status_code == 400:
                assert "编号" in answer.text, (url, answer.text[:300])
    assert changed(before, snapshot(plain.runtime.engine)) == []
