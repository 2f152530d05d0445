"""Signed action links as pure functions (`notifications.links`): a genuine link reads back,
any changed field or another key is a bad signature, a link stops working at its expiry, each
alert carries six links with their own nonces; the alert text carries them (or the CLI command
without a signer) and keeps its notification id; and the console's own secrets (password hash,
session id, CSRF tokens) refuse what they should."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.policy.states import Chain
from notifications.links import (
    ALERT_ACTIONS,
    LinkRefused,
    LinkSigner,
    derive_key,
    read_link,
    sign_link,
)
from notifications.render import NOTIFICATION_ID_RE, AlertFacts, render_alert
from yuqing.web.security import (
    csrf_ok,
    csrf_token,
    hash_password,
    new_session_id,
    password_tag,
    same_token,
    session_csrf,
    session_digest,
    verify_password,
)

KEY = derive_key("k" * 40, "link")
NOW = datetime(2026, 11, 22, 1, 31, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=72)


def token(**changes: object) -> str:
    fields: dict[str, object] = {
        "action": "ack",
        "case_id": 12,
        "obligation_key": "quick_report",
        "recipient": "wangfang",
        "expires_at": EXPIRES,
        "nonce": "abcDEF123_-x",
    }
    fields.update(changes)
    return sign_link(KEY, **fields)  # type: ignore[arg-type]


def refusal(text: str, *, now: datetime = NOW, key: bytes = KEY) -> str:
    with pytest.raises(LinkRefused) as caught:
        read_link(key, text, now=now)
    return caught.value.reason


def test_a_genuine_link_reads_back_what_was_signed() -> None:
    claim = read_link(KEY, token(), now=NOW)
    assert (claim.action, claim.case_id, claim.obligation_key, claim.recipient) == (
        "ack",
        12,
        "quick_report",
        "wangfang",
    )
    assert claim.expires_at == EXPIRES.replace(microsecond=0) and claim.nonce == "abcDEF123_-x"


@pytest.mark.parametrize(
    ("field", "value"),
    [(0, "complete"), (1, "13"), (2, "verification"), (3, "liqiang"), (4, "1999999999"), (5, "n2")],
)
def test_changing_any_field_breaks_the_signature(field: int, value: str) -> None:
    parts = token().split("~")
    parts[field] = value
    assert refusal("~".join(parts)) == "bad_signature"


def test_another_key_or_a_forged_tag_is_refused_and_bad_forms_are_named() -> None:
    assert refusal(token(), key=derive_key("x" * 40, "link")) == "bad_signature"
    assert refusal(token()[:-4] + "AAAA") == "bad_signature"
    assert refusal("ack~12~quick_report") == "bad_form"
    # A key for another purpose (the console's sessions) never signs a valid link.
    assert refusal(token(), key=derive_key("k" * 40, "session")) == "bad_signature"


def test_a_link_works_until_its_expiry_and_not_at_it() -> None:
    read_link(KEY, token(), now=EXPIRES - timedelta(seconds=1))
    assert refusal(token(), now=EXPIRES) == "expired"
    with pytest.raises(LinkRefused) as caught:
        read_link(KEY, token(), now=EXPIRES + timedelta(days=1))
    assert "过期" in caught.value.message and caught.value.claim is not None


def test_fields_that_could_be_misread_are_refused_when_signing() -> None:
    with pytest.raises(ValueError, match="~"):
        token(recipient="wang~fang")
    with pytest.raises(ValueError, match="unknown link action"):
        token(action="delete")


def test_an_alert_gets_six_links_each_with_its_own_nonce() -> None:
    signer = LinkSigner(KEY, "https://yq.example.gov.cn/", timedelta(hours=72))
    links = signer.alert_links(
        case_id=12, obligation_key="quick_report", recipient="wangfang", now=NOW
    )
    assert [action for action, _ in links] == list(ALERT_ACTIONS)
    prefix = "https://yq.example.gov.cn/l/"
    assert all(url.startswith(prefix) for _, url in links)
    claims = [read_link(KEY, url.removeprefix(prefix), now=NOW) for _, url in links]
    assert len({c.nonce for c in claims}) == 6
    assert {c.expires_at for c in claims} == {(NOW + timedelta(hours=72)).replace(microsecond=0)}


FACTS = AlertFacts(
    notification_id="0f0e0d0c-0b0a-0908-0706-050403020100",
    case_id=12,
    case_title="某中学食堂投诉",
    grade_label="一级",
    obligation_title="快报",
    due_at=datetime(2026, 11, 22, 1, 30, tzinfo=UTC),
    late_by=timedelta(minutes=1),
    level=1,
    level_label="到期提醒",
    recipient_name="王芳",
    chain=Chain.NO_COMPLETION,
)


def test_the_alert_text_carries_the_links_and_keeps_the_notification_id() -> None:
    links = tuple((a, f"https://yq.test/l/{a}") for a in ALERT_ACTIONS)
    _, body = render_alert(replace(FACTS, links=links), tz=ZoneInfo("Asia/Shanghai"))
    lines = body.splitlines()
    assert lines[-7:-1] == [
        "签收：https://yq.test/l/ack",
        "完成：https://yq.test/l/complete",
        "申请延期：https://yq.test/l/extend",
        "转办：https://yq.test/l/reassign",
        "上报：https://yq.test/l/escalate",
        "升级：https://yq.test/l/upgrade",
    ]
    assert NOTIFICATION_ID_RE.findall(body) == [FACTS.notification_id]
    assert "yuqing case ack" not in body


def test_without_a_signer_the_alert_names_the_cli_command() -> None:
    _, body = render_alert(FACTS, tz=ZoneInfo("Asia/Shanghai"))
    assert "签收：yuqing case ack 12" in body and "/l/" not in body
    _, english = render_alert(FACTS, tz=ZoneInfo("Asia/Shanghai"), language="en")
    assert "Acknowledge: yuqing case ack 12" in english


def test_password_hashes_verify_only_the_password() -> None:
    stored = hash_password("正确的密码 1")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password("正确的密码 1", stored)
    assert not verify_password("正确的密码 2", stored)
    assert not verify_password("x", "scrypt$not$a$hash$at$all")
    assert hash_password("same") != hash_password("same")  # salted


def test_a_session_id_is_random_and_stored_only_as_its_digest() -> None:
    ids = {new_session_id() for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 43 for i in ids)  # 256 random bits each
    some = next(iter(ids))
    assert len(session_digest(some)) == 64 and some not in session_digest(some)
    assert session_digest(some) == session_digest(some)


def test_a_sessions_csrf_token_is_good_for_that_session_only() -> None:
    one, other = new_session_id(), new_session_id()
    assert same_token(session_csrf(one), session_csrf(one))
    assert not same_token(session_csrf(other), session_csrf(one))
    assert not same_token("", session_csrf(one)) and not same_token(None, session_csrf(one))


def test_a_password_fingerprint_changes_with_the_hash() -> None:
    first, second = hash_password("口令一"), hash_password("口令一")
    assert password_tag(first) == password_tag(first)
    assert password_tag(first) != password_tag(second)  # a new hash (new salt) is a change


def test_a_csrf_token_belongs_to_its_cookie() -> None:
    key = derive_key("s" * 40, "session")
    assert csrf_ok(key, "seed-1", csrf_token(key, "seed-1"))
    assert not csrf_ok(key, "seed-2", csrf_token(key, "seed-1"))
    assert not csrf_ok(key, None, csrf_token(key, "seed-1"))
    assert not csrf_ok(key, "seed-1", "")


def test_a_link_pages_csrf_token_belongs_to_its_link() -> None:
    key = derive_key("s" * 40, "session")
    token = csrf_token(key, "seed-1", bound="nonce-a")
    assert csrf_ok(key, "seed-1", token, bound="nonce-a")
    assert not csrf_ok(key, "seed-1", token, bound="nonce-b")
    assert not csrf_ok(key, "seed-1", token)  # nor as a token of the sign-in form
