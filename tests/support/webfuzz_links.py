"""The signed links' surfaces for the property tests: a link opened (GET) and submitted (POST)
with a token that is genuine and fits the office, signed but fitting nothing, expired, already
used, tampered with, forged or plain junk, and (POST) a form body for its action with a few
fields spoiled and now and then a CSRF token of another link or of the sign-in form."""

from __future__ import annotations

import string
from datetime import datetime, timedelta

from hypothesis import strategies as st

from models.policy.catalogue import CATALOGUE, LINK_ACTIONS
from notifications.links import ALERT_ACTIONS, DECISION_ACTIONS, sign_link
from tests.support.webfuzz_world import (
    COMPLETION,
    PEOPLE,
    SEED,
    World,
    exchange,
    form_of,
    forms_key,
    link_url,
    rarely,
    spoiled,
)
from yuqing.web.security import csrf_token

# A token with `/` in it is no link path: 404, or 307 to the path without its trailing slash.
LINK_ANSWERS = {200, 307, 403, 404, 409}
_FIELD_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="~/", blacklist_categories=["Cs"]),
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


def check_link_get(w: World, data: st.DataObject) -> None:
    token = draw_token(w, data)
    exchange(
        w,
        lambda: w.app_client.get(link_url(token)),
        allowed=LINK_ANSWERS,
        accepted=lambda r: False,
        audit="linkattempt",
    )


def check_link_post(w: World, data: st.DataObject) -> None:
    token = draw_token(w, data)
    parts = token.split("~")
    action, nonce = parts[0], parts[-2] if len(parts) > 1 else ""
    known = CATALOGUE.get(action)
    fields = COMPLETION if action == "complete" else known.fields if known else ()
    form = form_of(w, data, fields) | {"csrf": csrf_token(forms_key(), SEED, bound=nonce)}
    form = spoiled(data, form, sorted(form))
    if rarely(data):  # a token of another link, or of the sign-in form
        other = [csrf_token(forms_key(), SEED, bound=nonce + "x"), csrf_token(forms_key(), SEED)]
        form["csrf"] = data.draw(st.sampled_from(other))
    exchange(
        w,
        lambda: w.app_client.post(link_url(token), data=form),
        allowed=LINK_ANSWERS,
        accepted=lambda r: r.status_code == 200,
        audit="linkattempt",
    )
