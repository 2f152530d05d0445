"""The intake endpoint on the real app: a bad or missing token is refused, an unknown source is
404, the same external id twice stores one item, a pushed record about a topic opens a case, a
new id about a page already stored attaches to that page's item, and every bad input (huge
numbers, dates near year 1 or 9999, lone surrogates, NaN, a non-UTF-8 body, a body over the
cap) gets a 4xx naming the field, never a 500, never the input echoed, never a database change.
The token is checked, and an oversized body refused, before the body is read (a raw socket
against the app on uvicorn)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from models.store.db import session_scope
from models.store.tables import Case, CaseEvent, IntakeReceipt, Item
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from tests.support.web import free_port
from yuqing.localservers import WebhookReceiver
from yuqing.web.app import create_app
from yuqing.web.server import start_web_thread

TOKEN = "referral-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SOURCES = (
    '[[sources]]\nid = "referrals"\nkind = "intake"\nname = "网信办转办"\nmedia_level = "city"\n\n'
    '[[sources]]\nid = "hotline"\nkind = "intake"\nname = "12345 热线"\n\n'
)
RECORD = {
    "external_id": "ZB-2026-001",
    "title": "网民反映某中学收取不合理费用",
    "text": "家长在留言板反映某中学以资料费名义收费",
    "published_at": "2026-11-23T09:30:00",
    "site": "领导留言板",
}


@pytest.fixture
def config(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> str:
    return str(
        write_office_config(
            tmp_path,
            database_url=database_url,
            receiver=receiver,
            sources_toml=SOURCES,
            extra_secrets=f'intake_token = "{TOKEN}"',
        )
    )


@pytest.fixture
def client(config: str) -> Iterator[TestClient]:
    with TestClient(create_app(config), raise_server_exceptions=False) as test_client:
        yield test_client


def counts(config: str) -> tuple[int, ...]:
    """Rows of every table a push can touch."""
    with session_scope(prepare(config).engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Item, IntakeReceipt, Case, CaseEvent)
        )


def test_intake_refuses_bad_tokens_and_is_idempotent(config: str, client: TestClient) -> None:
    assert client.post("/intake/referrals", json=RECORD).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    assert client.post("/intake/referrals", json=RECORD, headers=wrong).status_code == 401
    assert client.post("/intake/nope", json=RECORD, headers=AUTH).status_code == 404
    assert client.post("/intake/referrals", json={"title": "x"}, headers=AUTH).status_code == 422

    first = client.post("/intake/referrals", json=RECORD, headers=AUTH)
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True and first.json()["case_id"] is not None
    assert first.json()["new_item"] is True
    again = client.post("/intake/referrals", json={**RECORD, "text": "重复推送"}, headers=AUTH)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False, "new_item": False}

    with session_scope(prepare(config).engine) as session:
        items = session.exec(select(Item).where(Item.source_id == "referrals")).all()
    assert len(items) == 1
    [item] = items
    assert (item.external_id, item.media_level, item.site) == ("ZB-2026-001", "city", "领导留言板")
    assert item.published_at is not None and item.published_at.hour == 1  # 09:30 Shanghai


def test_a_new_id_about_a_stored_page_attaches_to_its_item(config: str, client: TestClient) -> None:
    page = {**RECORD, "url": "https://bbs.example.cn/t/77?utm_source=wx"}
    first = client.post("/intake/referrals", json=page, headers=AUTH)
    assert first.status_code == 201, first.text
    second: dict[str, object] = {
        **page,
        "external_id": "ZB-2026-002",
        "url": "https://BBS.example.cn/t/77",
    }
    second["clicks"] = 900
    attached = client.post("/intake/referrals", json=second, headers=AUTH)
    assert attached.status_code == 201, attached.text
    other_sender = client.post(
        "/intake/hotline", json={**page, "external_id": "12345-9"}, headers=AUTH
    )
    assert other_sender.status_code == 201, other_sender.text
    item_id, case_id = first.json()["item_id"], first.json()["case_id"]
    for answer in (attached, other_sender):
        assert answer.json() == {
            "item_id": item_id,
            "case_id": case_id,
            "created": True,
            "new_item": False,
        }
    repeat = client.post("/intake/referrals", json=second, headers=AUTH)
    assert (repeat.status_code, repeat.json()["item_id"]) == (200, item_id)

    with session_scope(prepare(config).engine) as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == 1
        receipts = session.exec(select(IntakeReceipt.source_id, IntakeReceipt.external_id)).all()
        item = session.get(Item, item_id)
        timeline = session.exec(select(CaseEvent.message).where(CaseEvent.case_id == case_id))
        messages = list(timeline.all())
    assert sorted(receipts) == [
        ("hotline", "12345-9"),
        ("referrals", "ZB-2026-001"),
        ("referrals", "ZB-2026-002"),
    ]
    assert item is not None and item.clicks == 900  # the second referral's metrics count
    assert sum("收到转办记录 ZB-2026-002" in m for m in messages) == 1


BAD = [
    ({"clicks": 2**63}, "clicks"),
    ({"comments": -1}, "comments"),
    ({"reposts": 10**30}, "reposts"),
    ({"published_at": "0001-01-01T00:00:00"}, "published_at"),
    ({"published_at": "9999-12-31T23:59:59+14:00"}, "published_at"),
    ({"title": "\ud800 半个代理项"}, "title"),
    ({"text": "NUL\x00字符"}, "text"),
    ({"title": "<b></b> "}, "title"),
    ({"url": "http:///no-host"}, "url"),
    ({"url": "urn:yuqing:x"}, "url"),
    ({"external_id": "x" * 201}, "external_id"),
    ({"external_id": "\n0"}, "external_id"),  # found by bench/fuzz.py: it was a 500
    ({"media_level": "galactic"}, "media_level"),
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _, f in BAD])
def test_bad_fields_are_422_naming_the_field_without_echo(
    config: str, client: TestClient, change: dict[str, object], field: str
) -> None:
    before = counts(config)
    record = {**RECORD, "site": "MARKER-7f3a", **change}
    body = json.dumps(record).encode()  # ASCII-escaped: a lone surrogate travels as \ud800
    headers = {**AUTH, "Content-Type": "application/json"}
    answer = client.post("/intake/referrals", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert field in [part for problem in answer.json()["detail"] for part in problem["loc"]]
    assert "MARKER-7f3a" not in answer.text and '"input"' not in answer.text
    assert counts(config) == before


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b'{"external_id": "a", "title": "t", "clicks": NaN}', "application/json", 422),
        (b'{"external_id": "a", "title": "t", "clicks": Infinity}', "application/json", 422),
        ("网民反映".encode("gbk"), "text/plain", 415),
        ('{"external_id": "a", "title": "网民"}'.encode("gbk"), "application/json", 422),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b"", "application/json", 422),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(
    config: str, client: TestClient, body: bytes, content_type: str, code: int
) -> None:
    before = counts(config)
    headers = {**AUTH, "Content-Type": content_type}
    answer = client.post("/intake/referrals", content=body, headers=headers)
    assert answer.status_code == code, answer.text
    assert counts(config) == before


def test_a_body_over_the_cap_is_413_counted_or_declared(config: str, client: TestClient) -> None:
    big = {**RECORD, "text": "长" * 600_000}  # 1.8 MB of UTF-8, cap 1 MB
    assert client.post("/intake/referrals", json=big, headers=AUTH).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"external_id": "c", "title": "t", "text": "'
        for _ in range(40):
            yield b"x" * 32_768
        yield b'"}'

    answer = client.post("/intake/referrals", content=chunks(), headers=AUTH)
    assert answer.status_code == 413
    assert counts(config)[0] == 0


def raw_post(port: int, token: str, declared_length: int) -> bytes:
    """Send the headers of a huge POST and a few body bytes only; what the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(
            f"POST /intake/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared_length}\r\n\r\n".encode()
            + b'{"external_id": '
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            piece = conn.recv(4096)
            if not piece:
                break
            answer += piece
    return answer


def test_the_token_and_the_size_are_checked_before_the_body_is_read(config: str) -> None:
    port = free_port()
    web = start_web_thread(config, port=port)
    assert web is not None
    try:
        # 50 MB announced, 16 bytes sent: an answer at all means the body was not awaited.
        assert raw_post(port, "wrong-token-wrong-token", 50_000_000).startswith(b"HTTP/1.1 401")
        assert raw_post(port, TOKEN, 50_000_000).startswith(b"HTTP/1.1 413")
    finally:
        web.stop()
    assert counts(config)[0] == 0


def test_counts_helper_sees_rows(config: str, client: TestClient) -> None:
    """The no-change assertions above would pass vacuously if `counts` saw nothing."""
    assert client.post("/intake/referrals", json=RECORD, headers=AUTH).status_code == 201
    items, receipts, cases, events = counts(config)
    assert (items, receipts, cases) == (1, 1, 1) and events > 0


def test_a_referral_says_when_the_item_was_posted_and_the_event_occurred(
    config: str, client: TestClient
) -> None:
    """The anchors the seeds count from (S1-12: 24 h from the posting): `published_at` is when
    the item was posted, `occurred_at` when the event occurred; local times without a zone."""
    record = {**RECORD, "external_id": "ZB-2026-009", "occurred_at": "2026-11-22T20:00:00+08:00"}
    done = client.post("/intake/referrals", json=record, headers=AUTH)
    assert done.status_code == 201, done.text
    with session_scope(prepare(config).engine) as session:
        case = session.get(Case, done.json()["case_id"])
        assert case is not None
        assert case.posted_at is not None and case.occurred_at is not None
        assert case.posted_at.isoformat() == "2026-11-23T01:30:00+00:00"  # 09:30 Shanghai
        assert case.occurred_at.isoformat() == "2026-11-22T12:00:00+00:00"
    before = counts(config)
    bad = {**RECORD, "external_id": "ZB-2026-010", "occurred_at": "0001-01-01T00:00:00"}
    refused = client.post("/intake/referrals", json=bad, headers=AUTH)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "occurred_at"]
    assert counts(config) == before
