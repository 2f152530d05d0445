"""Signing in to the console against the real app on uvicorn (httpx over a real socket), on SQLite
and PostgreSQL. The cookie holds only a random id; the session lives in the database and ends on
sign-out, on an operator's `yuqing web revoke`, and when the account's password hash changes
(the app restarted on the edited config), while other accounts' sessions live on. Sign-in is
throttled per account and per client address (uvicorn takes the address from X-Forwarded-For,
as behind a proxy on the same host) with a wait that doubles, and the throttle refuses even the
right password; an unknown account gets the very answer a wrong password gets; every attempt is
on the record. A form's CSRF token is good only for the session that rendered it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from models.store.db import session_scope
from models.store.tables import SignInAttempt, WebSession
from tasks.runtime import prepare
from tests.support.console import PROXY_HERE, Console, csrf_of, running_console, sign_in
from tests.support.dbstate import changed, snapshot
from tests.support.escalation import T0, new_case
from tests.support.web import PASSWORD, free_port, served, write_web_config
from yuqing.cli import app as cli
from yuqing.localservers import WebhookReceiver
from yuqing.web.security import hash_password, session_digest

# Every action is a task run of its own: the app reports it to a Prefect API.
pytestmark = pytest.mark.usefixtures("prefect_harness")

PER_ADDRESS = 4  # failures from one address before it must wait (default 20)


@pytest.fixture
def console(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Console]:
    web_toml = f"signin_free_failures_per_address = {PER_ADDRESS}\n{PROXY_HERE}"
    with running_console(database_url, tmp_path, receiver, web_toml=web_toml) as running:
        yield running


def record(c: Console) -> list[tuple[str, str, str, str]]:
    """(username, address, outcome, reason) of every sign-in attempt, in order."""
    with session_scope(c.runtime.engine) as session:
        rows = session.exec(select(SignInAttempt).order_by(col(SignInAttempt.id))).all()
        return [(r.username, r.address, r.outcome, r.reason.split(" ")[0]) for r in rows]


def sessions(c: Console) -> dict[str, WebSession]:
    with session_scope(c.runtime.engine) as session:
        return {s.id: s for s in session.exec(select(WebSession)).all()}


def signed_in_as(client: httpx.Client) -> str | None:
    """Whose name the board shows, or None when it sends the browser to sign in."""
    board = client.get("/")
    if board.status_code == 303:
        assert board.headers["location"].startswith("/login")
        return None
    assert board.status_code == 200
    match = re.search(r'class="who">([^（]+)（', board.text)
    return match.group(1) if match else None


def test_the_cookie_holds_only_an_opaque_id_and_the_session_is_on_the_server(
    console: Console,
) -> None:
    with console.client() as client:
        assert sign_in(client, "wang").status_code == 303
        cookie = client.cookies["yq_session"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie)  # 256 random bits, nothing readable
        assert signed_in_as(client) == "王芳"
    [stored] = sessions(console).values()
    assert stored.id == session_digest(cookie) and cookie not in stored.id
    assert (stored.username, stored.ended_at) == ("wang", None)
    assert stored.expires_at == T0 + timedelta(minutes=480)
    with console.client() as forger:  # the old signed-cookie form, or a guess, is nobody
        for value in ("wang~1795338000~AAAAAAAA~" + "A" * 43, "A" * 43, cookie[:-1] + "x"):
            forger.cookies.set("yq_session", value)
            assert signed_in_as(forger) is None
    console.clock.at = T0 + timedelta(minutes=480)  # the session's lifetime is over
    with console.client() as client:
        client.cookies.set("yq_session", cookie)
        assert signed_in_as(client) is None


def test_signing_out_ends_the_session_on_the_server(console: Console) -> None:
    with console.client() as client:
        sign_in(client, "wang")
        cookie = client.cookies["yq_session"]
        token = csrf_of(client.get("/"))
        out = client.post("/logout", data={"csrf": token})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert "yq_session" not in client.cookies
    with console.client() as replay:  # the cookie kept from before signing out
        replay.cookies.set("yq_session", cookie)
        assert signed_in_as(replay) is None
    [stored] = sessions(console).values()
    assert (stored.ended_at, stored.ended_reason) == (T0, "signed_out")


def test_an_operators_revoke_ends_every_session_of_the_account(console: Console) -> None:
    with console.client() as laptop, console.client() as phone, console.client() as other:
        sign_in(laptop, "wang")
        sign_in(phone, "wang")
        sign_in(other, "li")
        result = CliRunner().invoke(cli, ["--config", str(console.config), "web", "revoke", "wang"])
        assert result.exit_code == 0, result.output
        assert "已结束账号 wang 的 2 个登录会话" in result.stdout
        assert signed_in_as(laptop) is None and signed_in_as(phone) is None
        assert signed_in_as(other) == "李强"
    reasons = sorted((s.username, s.ended_reason) for s in sessions(console).values())
    assert reasons == [("li", ""), ("wang", "revoked"), ("wang", "revoked")]
    unknown = CliRunner().invoke(cli, ["--config", str(console.config), "web", "revoke", "nobody"])
    assert unknown.exit_code == 2 and "没有账号 'nobody'" in unknown.stderr


def test_a_password_change_ends_the_accounts_sessions(
    console: Console, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """The operator puts a new hash in the config and restarts: wang's old cookie is refused;
    li's session (password unchanged) survives the restart, since sessions are in the database."""
    with console.client() as wang, console.client() as li:
        sign_in(wang, "wang")
        sign_in(li, "li")
        cookies = (wang.cookies["yq_session"], li.cookies["yq_session"])
    port = free_port()
    edited = tmp_path / "restarted"
    edited.mkdir()
    config = write_web_config(
        edited,
        database_url=database_url,
        receiver=receiver,
        port=port,
        hashes={"wang": hash_password("新的口令-2026")},
    )
    with (
        served(config, console.clock, port=port) as url,
        httpx.Client(base_url=url) as wang,
        httpx.Client(base_url=url) as li,
    ):
        wang.cookies.set("yq_session", cookies[0])
        li.cookies.set("yq_session", cookies[1])
        assert signed_in_as(wang) is None
        assert signed_in_as(li) == "李强"
        assert sign_in(wang, "wang").status_code == 401  # the old password
        assert sign_in(wang, "wang", "新的口令-2026").status_code == 303
        assert signed_in_as(wang) == "王芳"
    ended = {s.username: s.ended_reason for s in sessions(console).values() if s.ended_at}
    assert ended == {"wang": "password_changed"}
    prepare(str(config)).engine.dispose()


def test_an_account_is_throttled_with_a_doubling_wait_that_refuses_even_the_password(
    console: Console,
) -> None:
    with console.client() as client:
        for _ in range(3):  # signin_free_failures = 3
            assert sign_in(client, "wang", "猜一猜").status_code == 401
        blocked = sign_in(client, "wang")  # the right password, but too soon
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "2"
        assert "登录尝试过于频繁，请 2 秒后再试" in blocked.text
        assert "yq_session" not in client.cookies
        console.clock.at = T0 + timedelta(seconds=2)
        assert sign_in(client, "wang", "再猜").status_code == 401  # a 4th failure: wait 4 s
        console.clock.at = T0 + timedelta(seconds=5)
        assert sign_in(client, "wang").headers["retry-after"] == "1"
        console.clock.at = T0 + timedelta(seconds=6)
        assert sign_in(client, "wang").status_code == 303
        assert sign_in(client, "wang", "手滑").status_code == 401  # a success starts afresh
    outcomes = [(outcome, reason) for _, _, outcome, reason in record(console)]
    assert outcomes == [("refused", "bad_password")] * 3 + [
        ("throttled", "next"),
        ("refused", "bad_password"),
        ("throttled", "next"),
        ("signed_in", ""),
        ("refused", "bad_password"),
    ]


def test_an_address_is_throttled_whichever_accounts_it_tries(console: Console) -> None:
    guesser, office = "198.51.100.7", "203.0.113.20"
    with console.client(guesser) as bad, console.client(office) as good:
        for name in ("chen", "li", "nobody", "admin"):  # one failure each: no account throttled
            assert sign_in(bad, name, "123456").status_code == 401
        assert sign_in(bad, "wang").status_code == 429  # the address has had its 4
        assert sign_in(good, "wang").status_code == 303  # the account itself is fine
    rows = record(console)
    assert {address for _, address, _, _ in rows} == {guesser, office}
    assert [(who, outcome) for who, address, outcome, _ in rows if address == guesser] == [
        ("chen", "refused"),
        ("li", "refused"),
        ("nobody", "refused"),
        ("admin", "refused"),
        ("wang", "throttled"),
    ]


def test_an_unknown_account_gets_the_answer_a_wrong_password_gets(console: Console) -> None:
    with console.client("192.0.2.1") as one, console.client("192.0.2.2") as two:
        unknown = sign_in(one, "nobody", "猜一猜")
        wrong = sign_in(two, "wang", "猜一猜")
        assert unknown.status_code == wrong.status_code == 401

        def shown(response: httpx.Response) -> str:
            return response.text.replace(csrf_of(response), "")

        assert shown(unknown) == shown(wrong) and "nobody" not in unknown.text
        for _ in range(3):  # and it is throttled alike
            sign_in(one, "nobody", "猜一猜")
        assert sign_in(one, "nobody", "猜一猜").status_code == 429
    reasons = [(who, outcome, reason) for who, _, outcome, reason in record(console)][:2]
    assert reasons == [
        ("nobody", "refused", "unknown_account"),
        ("wang", "refused", "bad_password"),
    ]


def test_a_sign_in_without_the_forms_token_is_refused_and_recorded(console: Console) -> None:
    with console.client() as client:
        client.get("/login")
        refused = client.post(
            "/login", data={"csrf": "made-up", "username": "wang", "password": PASSWORD}
        )
        assert refused.status_code == 403 and "表单已失效" in refused.text
        assert "yq_session" not in client.cookies
    assert record(console) == [("wang", "127.0.0.1", "bad_csrf", "")]


def test_a_forms_csrf_token_is_good_only_for_its_session(console: Console) -> None:
    case_id = new_case(console.runtime.engine)
    with console.client() as wang, console.client() as li:
        sign_in(wang, "wang")
        sign_in(li, "li")
        wangs = csrf_of(wang.get(f"/cases/{case_id}"))
        ack = {"action": "ack", "obligation": "quick_report"}
        before = snapshot(console.runtime.engine)
        crossed = li.post(f"/cases/{case_id}/act", data={"csrf": wangs, **ack})
        assert crossed.status_code == 403 and "表单已失效" in crossed.text
        wang.post("/logout", data={"csrf": wangs})
        sign_in(wang, "wang")  # a new session: the old page's token is void
        stale = wang.post(f"/cases/{case_id}/act", data={"csrf": wangs, **ack})
        assert stale.status_code == 403
        assert changed(before, snapshot(console.runtime.engine)) == ["websession"]
        fresh = csrf_of(wang.get(f"/cases/{case_id}"))
        done = wang.post(f"/cases/{case_id}/act", data={"csrf": fresh, **ack})
        assert done.status_code == 303 and "已签收" in unquote(wang.cookies.get("yq_flash") or "")
