"""Never give up an alert silently, on both backends, through the real sweep, the real dispatcher
and real Apprise: every channel of a person refuses connections (a receiver that stops
listening) for ten minutes of the sweep's clock (time moved, not slept). The alert is tried
again in rounds from the person's first channel, with waits doubling up to the cap, and never
marked failed; the office roles and the duty officer (not the person) are told once that the
person cannot be reached, with who and since when, through their own working channels; the case
shows it (`case show`'s data, the stuck list). When the channels come back the alert arrives once,
under its one notification id, and the office is told once that the person is reachable again.
Past `dispatch.give_up_after` an alert that still fails is given up, listed as stuck."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from models.policy.states import EventKind, NotificationStatus
from models.repo.stuck import StuckReason, find_stuck
from models.repo.unreachable import on_case
from models.store.db import session_scope
from models.store.tables import Unreachable
from settings import Dispatch
from tests.support.escalation import POLICY, T0, cycle, events, ids_at, new_case, office, outbox
from yuqing.localservers import WebhookReceiver

DUE = T0 + timedelta(minutes=30)  # 一级 quick report: level 1 to wang (owner), li and zhao
OPTIONS = Dispatch(
    attempts_per_channel=1, retry_base_seconds=2, retry_cap_seconds=120, breaker_base_seconds=10
)
CHANNELS = {"wang": ["wang_a", "wang_b"]}  # both on the receiver that refuses
TOLD = {"chen", "zhao"}  # office_head and duty officer; wang is the office staff himself


@pytest.fixture
def down() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


def urls(good: WebhookReceiver, down: WebhookReceiver) -> dict[str, str]:
    found = {f"{p}_hook": good.apprise_url(f"/hook/{p}") for p in ("li", "zhao", "chen", "sun")}
    return found | {"wang_a": down.apprise_url("/a"), "wang_b": down.apprise_url("/b")}


def wang_alert(engine: Engine) -> str:
    (row,) = [n for n in outbox(engine) if n.recipient_id == "wang" and n.level == 1]
    return row.id


def texts(receiver: WebhookReceiver, headline: str) -> list[tuple[str, str]]:
    """(path, message) of what the receiver got whose title is `headline`."""
    with receiver.lock:
        found = [(r.path, r.json()) for r in receiver.received]
    return [(path, data["message"]) for path, data in found if data["title"] == headline]


def messages(receiver: WebhookReceiver, headline: str) -> list[str]:
    return [path for path, _ in texts(receiver, headline)]


def test_ten_minutes_with_every_channel_refusing_loses_nothing_and_the_office_is_told(
    engine: Engine, receiver: WebhookReceiver, down: WebhookReceiver
) -> None:
    office(engine, CHANNELS)
    case_id = new_case(engine)
    routes = urls(receiver, down)
    down.refuse()
    cycle(engine, DUE, routes, options=OPTIONS)
    alert = wang_alert(engine)
    (row,) = [n for n in outbox(engine) if n.id == alert]
    assert row.status == NotificationStatus.PENDING and row.rounds == 1
    assert row.unreachable_since is not None and row.next_attempt_at is not None
    assert row.channel == "wang_a"  # starts over on the first channel

    minute = DUE
    for _ in range(10):  # ten minutes of the sweep's clock, every channel still refusing
        minute += timedelta(minutes=1)
        cycle(engine, minute, routes, options=OPTIONS)
    (row,) = [n for n in outbox(engine) if n.id == alert]
    assert row.status == NotificationStatus.PENDING and row.rounds >= 3
    assert not down.received
    # Told once, through working channels, naming who and since when; never the person.
    told = messages(receiver, "无法联系：王芳")
    assert sorted(told) == sorted(f"/hook/{p}" for p in TOLD)
    text = texts(receiver, "无法联系：王芳")[0][1]
    assert "王芳 的全部通知渠道（wang_a、wang_b）自" in text and f"{case_id}号" in text
    # The case shows it: who cannot be reached, and it is on the stuck list.
    with session_scope(engine) as session:
        (who,) = on_case(session, case_id)
        stuck = find_stuck(session, now=minute, policy=POLICY, case_ids=[case_id])
    assert who.person == "wang" and who.since == row.unreachable_since
    assert StuckReason.UNREACHABLE in stuck[0].reasons

    down.recover()
    for _ in range(10):  # the channel's probe and the alert's next round come due
        minute += timedelta(minutes=1)
        cycle(engine, minute, routes, options=OPTIONS)
    (row,) = [n for n in outbox(engine) if n.id == alert]
    assert row.status == NotificationStatus.SENT
    assert [i for p, i in ids_at(down) if i == alert] == [alert]  # once, under its own id
    assert not down.repeats
    assert sorted(messages(receiver, "恢复联系：王芳")) == sorted(f"/hook/{p}" for p in TOLD)
    assert len(messages(receiver, "无法联系：王芳")) == len(TOLD)  # told once, not per round
    with session_scope(engine) as session:
        assert not session.exec(select(Unreachable)).all()
        assert not on_case(session, case_id)
    assert all(n.status != NotificationStatus.FAILED for n in outbox(engine))
    exhausted = [e for e in events(engine, case_id) if e.data.get("exhausted")]
    assert exhausted and "重新发送（第1轮" in exhausted[0].message
    assert EventKind.DELIVERED in {e.kind for e in events(engine, case_id)}


def test_past_give_up_after_the_alert_is_given_up_and_listed_as_stuck(
    engine: Engine, receiver: WebhookReceiver, down: WebhookReceiver
) -> None:
    office(engine, CHANNELS)
    case_id = new_case(engine)
    routes = urls(receiver, down)
    down.refuse()
    options = OPTIONS.model_copy(update={"give_up_after": timedelta(minutes=2)})
    for seconds in range(0, 200, 20):
        cycle(engine, DUE + timedelta(seconds=seconds), routes, options=options)
    (row,) = [n for n in outbox(engine) if n.id == wang_alert(engine)]
    assert row.status == NotificationStatus.FAILED
    last = [e for e in events(engine, case_id) if e.data.get("exhausted")][-1]
    assert "不再重试，请人工联系" in last.message
    with session_scope(engine) as session:
        stuck = find_stuck(session, now=DUE + timedelta(minutes=10), policy=POLICY)
    assert StuckReason.UNDELIVERED in stuck[0].reasons
    assert len(messages(receiver, "无法联系：王芳")) == len(TOLD)
