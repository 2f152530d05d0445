"""The web surfaces' properties, for hypothesis: the test suite runs them briefly on both backends
(`tests/e2e/test_fuzz_web.py`), `bench/fuzz_web.py` runs them long. Each surface draws a request
(the sign-in form, the register form, every action's form, the library search, case pages by
number, and the signed links opened and submitted with forged, tampered, expired, replayed and
genuine tokens and random form bodies) and sends it to the real app in process, on a real
database. Whatever was drawn: no 500 and no exception, only the statuses the surface may answer,
no traceback in the page; a refusal changes no table (every row compared before and after); and
every sign-in or link attempt adds exactly one row to its audit record."""

from __future__ import annotations

import string
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import httpx
from hypothesis import strategies as st
from sqlmodel import select

from models.policy.forms import ACTION_FIELDS, FormField
from models.store.db import session_scope
from models.store.tables import Obligation
from notifications.links import (
    ALERT_ACTIONS,
    DECISION_ACTIONS,
    LINK_ACTIONS,
    derive_key,
    sign_link,
)
from tasks.runtime import Runtime, prepare
from tests.support.dbstate import audit_counts, changed, snapshot
from tests.support.escalation import T0, new_case
from tests.support.web import LINK_KEY, PASSWORD, Clock, write_web_config
from yuqing import actions
from yuqing.localservers import WebhookReceiver
from yuqing.web.app import create_app
from yuqing.web.security import csrf_token, session_csrf

with warnings.catch_warnings():  # Starlette asks for httpx2 under its TestClient; httpx does
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

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
FIELD_NAMES = sorted({f.name for fields in ACTION_FIELDS.values() for f in fields})
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
        timezones=zones,
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


def _browser(app: object) -> TestClient:
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
    extension = actions.perform(
        runtime,
        "extend",
        case_id=case_id,
        subject="quick_report",
        actor="wangfang",
        at=clock.at,
        form={"until": "2026-11-22T12:00", "reason": "等待核实"},
    )
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
    with _browser(app) as browser:
        form = {"csrf": csrf_token(_forms_key(), SEED, bound="used-at-setup")}
        assert browser.post(_link_url(used), data=form).status_code == 200
    browsers = {name: _browser(app) for name in ("wang", "li")}
    for name, browser in browsers.items():
        token = csrf_token(_forms_key(), SEED)
        form = {"csrf": token, "username": name, "password": PASSWORD}
        assert browser.post("/login", data=form).status_code == 303
    try:
        yield World(
            runtime=runtime,
            clock=clock,
            app_client=_browser(app),
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


def _forms_key() -> bytes:
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
    if audit is not None and response.status_code not in (404, 405):
        assert audit_counts(w.runtime.engine)[audit] == audits[audit] + 1
    return response


# --- the surfaces ---------------------------------------------------------------------------------


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


def _form_of(w: World, data: st.DataObject, fields: tuple[FormField, ...]) -> dict[str, str]:
    return {
        f.name: data.draw(sensible(w, f.kind, tuple(value for value, _ in f.choices)))
        for f in fields
    }


def check_login(w: World, data: st.DataObject) -> None:
    w.clock.at += timedelta(seconds=data.draw(st.sampled_from([0, 1, 3, 86_401])))
    form = {
        "username": data.draw(st.sampled_from(["wang", "li", "chen", "nobody"])),
        "password": data.draw(st.sampled_from([PASSWORD, "123456", "正确的口令"])),
        "next": data.draw(st.sampled_from(["/", "/library", "/cases/1"])),
        "csrf": csrf_token(_forms_key(), SEED),
    }
    form = spoiled(data, form, sorted(form))
    with _browser(w.app_client.app) as browser:
        response = exchange(
            w,
            lambda: browser.post("/login", data=form),
            allowed={303, 401, 403, 429},
            accepted=lambda r: r.status_code == 303,
            audit="signinattempt",
        )
    if response.status_code == 303:
        target = response.headers["location"]
        assert target.startswith("/") and not target.startswith("//")


REGISTER = {
    "title": st.text(min_size=1, max_size=30),
    "text": st.text(max_size=60),
    "url": st.sampled_from(["", "https://forum.example/t/1", "http://weibo.example/p?id=9"]),
    "channel": st.sampled_from(["citizen", "hotline", "referral", "petition", "other"]),
    "category": st.sampled_from(["", "inquiry", "hype", "rumour", "suggestion", "corruption"]),
    "clicks": st.integers(0, 10**6).map(str),
    "comments": st.integers(0, 10**4).map(str),
}


def check_register(w: World, data: st.DataObject) -> None:
    form = {name: data.draw(good) for name, good in REGISTER.items()}
    browser = w.signed_in["wang"]
    form = spoiled(data, form, sorted(form)) | {"csrf": session_token(browser)}
    exchange(
        w,
        lambda: browser.post("/cases/new", data=form),
        allowed={303, 422},
        accepted=lambda r: r.status_code == 303,
    )


def check_actions(w: World, data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(sorted(actions.ACTION_LABELS)))
    browser = w.signed_in[data.draw(st.sampled_from(sorted(w.signed_in)))]
    fields = COMPLETION if action == "complete" else ACTION_FIELDS[action]
    form = _form_of(w, data, fields) | {
        "action": action,
        "obligation": data.draw(st.sampled_from(w.keys)),
        "request": str(data.draw(st.integers(1, 6))),
        "csrf": session_token(browser),
        "case": str(w.case_id),  # the path's, spoiled with the form
    }
    form = spoiled(data, form, sorted(form))
    if rarely(data):  # a token of another kind
        form["csrf"] = data.draw(st.sampled_from([csrf_token(_forms_key(), SEED), "", "x"]))
    case = form.pop("case", "") or "0"
    case = case if _path_safe(case) else "1"
    exchange(
        w,
        lambda: browser.post(f"/cases/{quote(case, safe='')}/act", data=form),
        allowed={303, 400, 403, 404, 405, 422},
        accepted=lambda r: r.status_code == 303,
    )


LIBRARY = {
    "q": st.sampled_from(["食堂", "学校 通报", ""]),
    "category": st.sampled_from(["", "inquiry", "rumour"]),
    "grade": st.sampled_from(["", "g1", "g3"]),
    "unit": st.sampled_from(["", "school", "office"]),
    "year": st.sampled_from(["", "2026", "2025"]),
}


def check_library(w: World, data: st.DataObject) -> None:
    params = spoiled(data, {n: data.draw(good) for n, good in LIBRARY.items()}, sorted(LIBRARY))
    browser = w.signed_in["wang"]
    exchange(
        w,
        lambda: browser.get("/library", params=params),
        allowed={200, 422},
        accepted=lambda r: False,
    )


def check_case_pages(w: World, data: st.DataObject) -> None:
    case = str(data.draw(st.integers(0, w.case_id + 1)))
    if data.draw(st.booleans()):
        case = data.draw(st.one_of(st.integers().map(str), values()).filter(_path_safe))
    browser = w.signed_in["wang"]
    exchange(
        w,
        lambda: browser.get(f"/cases/{quote(case, safe='')}"),
        allowed={200, 400, 404, 422},
        accepted=lambda r: False,
    )


def _path_safe(text: str) -> bool:
    """A value that stays one path segment once quoted (no `/`, `.`/`..` or empty segment)."""
    return bool(text) and "/" not in text and text not in (".", "..") and len(text) < 2000


# --- links --------------------------------------------------------------------------------------

_FIELD_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="~/", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=20,
)


def draw_token(w: World, data: st.DataObject) -> str:
    """Link tokens: genuine (fitting the office, or signed but fitting nothing), expired,
    replayed, tampered, forged and plain junk."""
    now = w.clock.at

    def signed_for(
        actions: tuple[str, ...], subjects: st.SearchStrategy[str]
    ) -> st.SearchStrategy[str]:
        """Links as an alert carries them: for this case, a subject that fits the action."""
        return signed(
            now + timedelta(hours=1),
            st.just(w.case_id),
            subjects,
            st.sampled_from(PEOPLE),
            actions,
        )

    def signed(
        expires: datetime,
        cases: st.SearchStrategy[int],
        subjects: st.SearchStrategy[str],
        people: st.SearchStrategy[str],
        actions: tuple[str, ...] = LINK_ACTIONS,
    ) -> st.SearchStrategy[str]:
        return st.builds(
            lambda action, case, subject, person, nonce: sign_link(
                w.link_key,
                action=action,
                case_id=case,
                obligation_key=subject,
                recipient=person,
                expires_at=expires,
                nonce=nonce,
            ),
            st.sampled_from(actions),
            cases,
            subjects,
            people,
            st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=16),
        )

    real = st.sampled_from((*w.keys, *(f"req{n}" for n in w.requests)))
    fitting = st.one_of(
        signed_for(ALERT_ACTIONS, st.sampled_from(w.keys)),
        signed_for(DECISION_ACTIONS, st.integers(1, 4).map(lambda n: f"req{n}")),
    )
    odd = signed(
        now + timedelta(hours=1),
        st.integers(0, 2**45),
        st.one_of(real, _FIELD_TEXT),
        st.one_of(st.sampled_from(PEOPLE), _FIELD_TEXT),
    )
    expired = signed(now - timedelta(seconds=1), st.just(w.case_id), real, st.just("wangfang"))
    tampered = st.builds(_tamper, fitting, st.integers(0, 400), st.characters())
    forged = st.lists(st.one_of(_FIELD_TEXT, st.integers().map(str)), min_size=1, max_size=8).map(
        "~".join
    )
    kinds = {
        "fitting": fitting,
        "odd": odd,
        "expired": expired,
        "replayed": st.sampled_from(w.used),
        "tampered": tampered,
        "forged": forged,
        "junk": st.text(max_size=60),
    }
    kind = data.draw(st.sampled_from(["fitting"] * 3 + sorted(kinds)))  # fitting: 4 in 10
    return data.draw(kinds[kind])


def _tamper(token: str, at: int, char: str) -> str:
    at %= len(token)
    return token[:at] + char + token[at + 1 :]


def _link_url(token: str) -> str:
    return "/l/" + quote(token, safe="~")


def check_link_get(w: World, data: st.DataObject) -> None:
    token = draw_token(w, data)
    exchange(
        w,
        lambda: w.app_client.get(_link_url(token)),
        allowed={200, 403, 404, 409},
        accepted=lambda r: False,
        audit="linkattempt",
    )


def check_link_post(w: World, data: st.DataObject) -> None:
    token = draw_token(w, data)
    parts = token.split("~")
    action, nonce = parts[0], parts[-2] if len(parts) > 1 else ""
    fields = COMPLETION if action == "complete" else ACTION_FIELDS.get(action, ())
    form = _form_of(w, data, fields) | {"csrf": csrf_token(_forms_key(), SEED, bound=nonce)}
    form = spoiled(data, form, sorted(form))
    if rarely(data):  # a token of another link, or of the sign-in form
        other = [csrf_token(_forms_key(), SEED, bound=nonce + "x"), csrf_token(_forms_key(), SEED)]
        form["csrf"] = data.draw(st.sampled_from(other))
    exchange(
        w,
        lambda: w.app_client.post(_link_url(token), data=form),
        allowed={200, 403, 404, 409},
        accepted=lambda r: r.status_code == 200,
        audit="linkattempt",
    )


SURFACES: dict[str, Callable[[World, st.DataObject], None]] = {
    "login form": check_login,
    "register form": check_register,
    "action forms": check_actions,
    "library search": check_library,
    "case pages": check_case_pages,
    "link GET": check_link_get,
    "link POST": check_link_post,
}
