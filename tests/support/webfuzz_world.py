"""The office the web surfaces' property tests run against, and the property they share: the real
app in process (`TestClient`) on a real database, its clock, browsers signed in as two
accounts, a case with a pending request and a link already used; what a person or an attacker
might type into a field (`values`), a well-formed form with a few fields spoiled (`spoiled`);
and `exchange`, which sends one drawn request and checks it: an allowed status, no traceback,
no table changed unless the request was accepted, one audit row for a sign-in or link attempt.
The surfaces are in `tests.support.webfuzz_forms` and `webfuzz_links`."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import cast
from urllib.parse import quote

import httpx
from hypothesis import strategies as st
from sqlmodel import select

from models.policy.catalogue import CATALOGUE
from models.policy.forms import FormField
from models.store.db import session_scope
from models.store.tables import Obligation
from notifications.links import derive_key, sign_link
from tasks.act import ActionRequest, record_action
from tasks.runtime import Runtime, prepare
from tests.support.dbstate import audit_counts, changed, snapshot
from tests.support.escalation import T0, new_case
from tests.support.web import LINK_KEY, PASSWORD, Clock, write_web_config
from yuqing.localservers import WebhookReceiver
from yuqing.web.app import create_app
from yuqing.web.security import csrf_token, session_csrf

with warnings.catch_warnings():  # Starlette asks for httpx2 under its TestClient; httpx does
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

NOT_ROUTED = (307, 404, 405)  # answered by the router itself: no attempt reached a page
SEED = "fuzz-seed"  # the double-submit cookie the fuzzing browser holds
PEOPLE = ("wangfang", "liqiang", "zhaomin", "chenjun", "sunli", "zhangwei", "liuyang")
UNITS = ("office", "school")
ODD = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "²",
    "٣",
    "-1",
    "0",
    "1",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999",
    "1e9",
    "NaN",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "9999-12-31T23:59-12:00",
    "2026-11-22 18:00",
    "2026-11-23T10:00+08:00",
    "<script>alert(1)</script>",
    "g1",
    "g2",
    "g3",
    "一级",
    "三级",
    "http://[",
    "https://gov.example/reply/1",
    "javascript:alert(1)",
    "%00",
    "~",
    "../../etc/passwd",
    "'; DROP TABLE case; --",
    "\ufeff",
    "𠀀",
    "a" * 25_000,
    "subsided",
    "inquiry",
    "public_security",
    *PEOPLE,
    *UNITS,
)
EDGES = (  # numbers at the edges of what the columns and the drivers hold, and not quite numbers
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1" * 400,
    "²",
    "١٢",
    "-0",
    "+1",
    " 7 ",
    "1e3",
    "0x10",
    "1_000",
    "Infinity",
)
FIELD_NAMES = sorted({f.name for spec in CATALOGUE.values() for f in spec.fields})
# What completing may ask for (the verification result, the reply's link, a note).
COMPLETION = (
    FormField("result", "核查结果", "textarea"),
    FormField("url", "回应链接", "url"),
    FormField("note", "办理说明", "textarea"),
)


def values() -> st.SearchStrategy[str]:
    """What a person (or an attacker) might type into any field."""
    zones = st.sampled_from(
        [None, UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]
    )
    stamp = st.datetimes(
        min_value=datetime(1, 1, 2),  # noqa: DTZ001 (hypothesis takes naive bounds; zones below)
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        # Naive and aware stamps at once: hypothesis takes it, its overloads leave it out.
        timezones=cast("st.SearchStrategy[tzinfo]", zones),
    ).map(lambda d: d.isoformat(timespec="minutes"))
    numbers = st.one_of(
        st.integers(-(2**70), 2**70),
        st.integers(2**31 - 2, 2**31 + 1),  # about the integer columns' edge
        st.integers(2**63 - 1, 2**63 + 1),  # and SQLite's
    ).map(str)
    return st.one_of(
        st.sampled_from(ODD), st.sampled_from(EDGES), st.text(max_size=40), stamp, numbers
    )


def names_of_fields() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12))


@dataclass
class World:
    """The app on one database, the clock it reads, its browsers, and what a request can name."""

    runtime: Runtime
    clock: Clock
    app_client: TestClient
    signed_in: dict[str, TestClient]  # username → a browser signed in as that account
    case_id: int
    keys: tuple[str, ...]  # the case's obligation keys
    requests: tuple[int, ...]  # its approval requests
    used: tuple[str, ...]  # link tokens that acted when the office was set up
    statuses: Counter[int] = field(default_factory=Counter)  # what the app answered, tallied

    @property
    def link_key(self) -> bytes:
        return derive_key(LINK_KEY, "link")


def browser_for(app: object) -> TestClient:
    client = TestClient(app, raise_server_exceptions=True, follow_redirects=False)  # type: ignore[arg-type]
    client.cookies.set("yq_csrf", SEED)
    return client


@contextmanager
def world(directory: Path, database_url: str, receiver: WebhookReceiver) -> Iterator[World]:
    """An office with one 一级 case and a pending extension request, its app in process."""
    config = write_web_config(directory, database_url=database_url, receiver=receiver, port=9)
    runtime = prepare(str(config))
    case_id = new_case(runtime.engine)
    clock = Clock(T0 + timedelta(minutes=5))
    form = {"until": "2026-11-22T12:00", "reason": "等待核实"}
    asked = ActionRequest("extend", case_id, "wangfang", clock.at, "test", form, "quick_report")
    extension = record_action(runtime, asked).change
    assert extension is not None
    with session_scope(runtime.engine) as session:
        keys = tuple(session.exec(select(Obligation.key).where(Obligation.case_id == case_id)))
    app = create_app(str(config), now=clock.now)
    used = sign_link(
        derive_key(LINK_KEY, "link"),
        action="ack",
        case_id=case_id,
        obligation_key="quick_report",
        recipient="wangfang",
        expires_at=clock.at + timedelta(hours=1),
        nonce="used-at-setup",
    )
    with browser_for(app) as browser:
        form = {"csrf": csrf_token(forms_key(), SEED, bound="used-at-setup")}
        assert browser.post(link_url(used), data=form).status_code == 200
    browsers = {name: browser_for(app) for name in ("wang", "li")}
    for name, browser in browsers.items():
        token = csrf_token(forms_key(), SEED)
        form = {"csrf": token, "username": name, "password": PASSWORD}
        assert browser.post("/login", data=form).status_code == 303
    try:
        yield World(
            runtime=runtime,
            clock=clock,
            app_client=browser_for(app),
            signed_in=browsers,
            case_id=case_id,
            keys=keys,
            requests=(int(extension.data["request_id"]),),
            used=(used,),
        )
    finally:
        for browser in browsers.values():
            browser.close()
        runtime.engine.dispose()


def forms_key() -> bytes:
    return derive_key(LINK_KEY, "session")


def session_token(client: TestClient) -> str:
    """The CSRF token of the forms a signed-in browser is shown."""
    return session_csrf(client.cookies["yq_session"])


# --- the property every surface shares ----------------------------------------------------------


def exchange(
    w: World,
    send: Callable[[], httpx.Response],
    *,
    allowed: set[int],
    accepted: Callable[[httpx.Response], bool],
    audit: str | None = None,
) -> httpx.Response:
    """Send one drawn request and check it: an allowed status, no traceback, nothing changed
    unless accepted, and one audit row when the surface audits."""
    before, audits = snapshot(w.runtime.engine), audit_counts(w.runtime.engine)
    response = send()
    w.statuses[response.status_code] += 1
    assert response.status_code in allowed, (response.status_code, response.text[-400:])
    assert "Traceback" not in response.text
    if not accepted(response):
        assert changed(before, snapshot(w.runtime.engine)) == []
    if audit is not None and response.status_code not in NOT_ROUTED:
        assert audit_counts(w.runtime.engine)[audit] == audits[audit] + 1
    return response


# --- drawing forms ------------------------------------------------------------------------------


def spoiled(data: st.DataObject, form: dict[str, str], names: list[str]) -> dict[str, str]:
    """A well-formed `form` with a drawn few of its fields dropped or made junk (often none,
    so the checks behind the well-formed fields are reached too), plus a stray field or two."""
    for name in data.draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
        if data.draw(st.booleans()):
            form.pop(name, None)
        else:
            form[name] = data.draw(values())
    form.update(data.draw(st.dictionaries(names_of_fields(), values(), max_size=2)))
    return form


def rarely(data: st.DataObject) -> bool:
    """True about one time in ten (hypothesis leans towards small integers, so `== 0` on a
    drawn integer would be far more often than that)."""
    return bool(data.draw(st.sampled_from([False] * 9 + [True])))


def sensible(w: World, kind: str, choices: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """A value a person could well type into a field of this kind."""
    near = st.integers(-3 * 24 * 60, 400 * 24 * 60).map(
        lambda minutes: (
            (w.clock.at + timedelta(minutes=minutes))
            .astimezone(timezone(timedelta(hours=8)))
            .strftime("%Y-%m-%dT%H:%M")
        )
    )
    by_kind: dict[str, st.SearchStrategy[str]] = {
        "datetime": near,
        "person": st.sampled_from(PEOPLE),
        "grade": st.sampled_from(["g1", "g2", "g3", ""]),
        "unit": st.sampled_from(UNITS),
        "units": st.lists(st.sampled_from(UNITS), max_size=2).map(",".join),
        "url": st.sampled_from(["https://gov.example/reply/1", "http://x.example/a?b=1"]),
        "choice": st.sampled_from(choices or ("",)),
    }
    return by_kind.get(kind, st.text(max_size=40))


def form_of(w: World, data: st.DataObject, fields: tuple[FormField, ...]) -> dict[str, str]:
    return {
        f.name: data.draw(sensible(w, f.kind, tuple(value for value, _ in f.choices)))
        for f in fields
    }


def link_url(token: str) -> str:
    return "/l/" + quote(token, safe="~")
