"""The console's form surfaces for the property tests: the sign-in form, the register form, every
action's form, the library search and case pages by number, each a well-formed request with a
few fields spoiled, sent through `tests.support.webfuzz_world.exchange`."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from hypothesis import strategies as st

from models.policy.catalogue import CATALOGUE
from tests.support.web import PASSWORD
from tests.support.webfuzz_world import (
    COMPLETION,
    SEED,
    World,
    browser_for,
    exchange,
    form_of,
    forms_key,
    rarely,
    session_token,
    spoiled,
    values,
)
from yuqing.web.security import csrf_token


def check_login(w: World, data: st.DataObject) -> None:
    w.clock.at += timedelta(seconds=data.draw(st.sampled_from([0, 1, 3, 86_401])))
    form = {
        "username": data.draw(st.sampled_from(["wang", "li", "chen", "nobody"])),
        "password": data.draw(st.sampled_from([PASSWORD, "123456", "正确的口令"])),
        "next": data.draw(st.sampled_from(["/", "/library", "/cases/1"])),
        "csrf": csrf_token(forms_key(), SEED),
    }
    form = spoiled(data, form, sorted(form))
    with browser_for(w.app_client.app) as browser:
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
    action = data.draw(st.sampled_from(sorted(CATALOGUE)))
    browser = w.signed_in[data.draw(st.sampled_from(sorted(w.signed_in)))]
    fields = COMPLETION if action == "complete" else CATALOGUE[action].fields
    form = form_of(w, data, fields) | {
        "action": action,
        "obligation": data.draw(st.sampled_from(w.keys)),
        "request": str(data.draw(st.integers(1, 6))),
        "csrf": session_token(browser),
        "case": str(w.case_id),  # the path's, spoiled with the form
    }
    form = spoiled(data, form, sorted(form))
    if rarely(data):  # a token of another kind
        form["csrf"] = data.draw(st.sampled_from([csrf_token(forms_key(), SEED), "", "x"]))
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
