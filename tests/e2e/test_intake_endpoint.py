"""The intake endpoint on the real app (FastAPI's TestClient): a bad or missing token is
refused, an unknown source is 404, the same external id twice stores one item, and a pushed
record about a topic opens a case."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from models.store.db import session_scope
from models.store.tables import Item
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.localservers import WebhookReceiver
from yuqing.web.app import create_app

TOKEN = "referral-token-0123456789"
SOURCES = (
    '[[sources]]\nid = "referrals"\nkind = "intake"\nname = "网信办转办"\nmedia_level = "city"\n\n'
)
RECORD = {
    "external_id": "ZB-2026-001",
    "title": "网民反映某中学收取不合理费用",
    "text": "家长在留言板反映某中学以资料费名义收费",
    "published_at": "2026-11-23T09:30:00",
    "site": "领导留言板",
}


def test_intake_refuses_bad_tokens_and_is_idempotent(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    config = str(
        write_office_config(
            tmp_path,
            database_url=database_url,
            receiver=receiver,
            sources_toml=SOURCES,
            extra_secrets=f'intake_token = "{TOKEN}"',
        )
    )
    client = TestClient(create_app(config))
    auth = {"Authorization": f"Bearer {TOKEN}"}

    assert client.post("/intake/referrals", json=RECORD).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token-at-all"}
    assert client.post("/intake/referrals", json=RECORD, headers=wrong).status_code == 401
    assert client.post("/intake/nope", json=RECORD, headers=auth).status_code == 404
    assert client.post("/intake/referrals", json={"title": "x"}, headers=auth).status_code == 422

    first = client.post("/intake/referrals", json=RECORD, headers=auth)
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True and first.json()["case_id"] is not None
    again = client.post("/intake/referrals", json={**RECORD, "text": "重复推送"}, headers=auth)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}

    with session_scope(prepare(config).engine) as session:
        items = session.exec(select(Item).where(Item.source_id == "referrals")).all()
    assert len(items) == 1
    [item] = items
    assert (item.external_id, item.media_level, item.site) == ("ZB-2026-001", "city", "领导留言板")
    assert item.published_at is not None and item.published_at.hour == 1  # 09:30 Shanghai
