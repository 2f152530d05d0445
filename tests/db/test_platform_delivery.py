"""Each platform's answer decides what the outbox does, on both backends, through the real
dispatcher, yuqing's Apprise plugins and the platforms' stand-ins: delivered (the platform's
code 0 / OK recorded); busy (its frequency code: the alert waits the platform's window on the
same channel, nothing lost, then goes); rejected for a real fault (a revoked key, a wrong
signing secret, an unregistered SMS template: the person's next channel at once, under the same
notification id, with the platform's reason in Chinese on the timeline); and rejections in a row
open the channel's breaker, so the next alert goes straight to the next channel. WeCom, DingTalk,
Feishu and Lark bots are group channels (their messages go through the group path), the SMS
gateways personal ones (to the person's own mobile)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from models.policy.platforms import Platform
from models.policy.states import EventKind, NotificationStatus
from models.repo.directory import sync_directory
from models.store.db import session_scope
from models.store.tables import ChannelHealth, Delivery, Notification
from notifications.dispatch import dispatch_pending
from notifications.outbox.rows import Outgoing, enqueue, new_notification_id
from settings import Dispatch, PersonConfig, UnitConfig
from tests.support.escalation import T0, events, new_case
from tests.support.platforms import PHONE, Bench, FakeClock, all_platforms
from yuqing.localservers import WebhookReceiver

OPTIONS = Dispatch(breaker_failures=3, breaker_base_seconds=30, retry_base_seconds=1)
PLATFORMS = list(Platform)


CLOCK = FakeClock(T0)


@pytest.fixture
def benches() -> Iterator[dict[Platform, Bench]]:
    """Fresh stand-ins, counting their limits on the test's clock (`run` moves it)."""
    with all_platforms(CLOCK) as found:
        yield found


def setup(engine: Engine, receiver: WebhookReceiver, im: str) -> tuple[int, dict[str, str]]:
    person = PersonConfig(
        id="wang", name="王芳", unit="o", roles=["office_staff"],
        channels=["wang_im", "wang_hook"], mobile=PHONE, wecom_userid="wangfang",
    )  # fmt: skip
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=[person])
    return new_case(engine), {"wang_im": im, "wang_hook": receiver.apprise_url("/wang")}


def alert(engine: Engine, case_id: int, n: int, at: datetime) -> str:
    notification_id = new_notification_id()
    with session_scope(engine) as session:
        enqueue(
            session,
            [
                Outgoing(
                    notification_id=notification_id, case_id=case_id, obligation_id=None,
                    level=1, recipient_id="wang", channel="wang_im",
                    subject=f"【一级舆情】快报已超时：案件{case_id}",
                    body=f"王芳：\n第{n}条提醒\n通知编号：{notification_id}",
                    at=at, occasion=f"alert{n}", due_at=at,
                )
            ],
        )  # fmt: skip
    return notification_id


def attempts(engine: Engine, notification_id: str) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Delivery.channel, Delivery.outcome, Delivery.code)
            .where(Delivery.notification_id == notification_id)
            .order_by(col(Delivery.attempt))
        ).all()
    return [(c, o, code) for c, o, code in rows]


def run(engine: Engine, at: datetime, urls: dict[str, str]) -> None:
    CLOCK.at = at
    dispatch_pending(engine, channel_url=urls.get, now=at, options=OPTIONS)


def row(engine: Engine, notification_id: str) -> Notification:
    with session_scope(engine) as session:
        found = session.get(Notification, notification_id)
        assert found is not None
        session.expunge(found)
        return found


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.value)
def test_code_zero_is_delivered_and_recorded_with_the_platforms_code(
    engine: Engine, receiver: WebhookReceiver, benches: dict[Platform, Bench], platform: Platform
) -> None:
    bench = benches[platform]
    case_id, urls = setup(engine, receiver, bench.url)
    before = len(bench.stand_in.received)
    first = alert(engine, case_id, 1, T0)
    run(engine, T0, urls)
    code = {"aliyun_sms": "OK", "tencent_sms": "Ok"}.get(platform.value, "0")
    assert attempts(engine, first) == [("wang_im", "delivered", code)]
    got = bench.stand_in.received[before:]
    assert len(got) == 1 and not receiver.received
    if bench.group:  # the group sees who must act, @mentioned, and the alert's id
        assert "王芳" in got[0].text and first in got[0].notification_ids
        if platform is Platform.WECOM:
            assert got[0].mentions == ("wangfang",)
        elif platform is Platform.DINGTALK:
            assert got[0].mentions == (PHONE,)
    else:
        assert got[0].key == PHONE and f"{case_id}号" in got[0].text  # the template's variables
    assert row(engine, first).status == NotificationStatus.SENT


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.value)
def test_a_frequency_code_is_busy_the_alert_waits_the_platforms_window_and_then_goes(
    engine: Engine, receiver: WebhookReceiver, benches: dict[Platform, Bench], platform: Platform
) -> None:
    bench = benches[platform]
    case_id, urls = setup(engine, receiver, bench.url)
    first = alert(engine, case_id, 1, T0)
    bench.stand_in.answer_next(bench.busy)
    run(engine, T0, urls)
    assert attempts(engine, first) == [("wang_im", "busy", bench.busy_code)]
    waiting = row(engine, first)
    assert waiting.status == NotificationStatus.PENDING and waiting.channel == "wang_im"
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at >= T0 + timedelta(seconds=bench.window)
    run(engine, T0 + timedelta(seconds=bench.window / 2), urls)  # not before the window
    assert len(attempts(engine, first)) == 1
    run(engine, waiting.next_attempt_at, urls)
    assert [a[1] for a in attempts(engine, first)] == ["busy", "delivered"]
    assert not receiver.received  # never sent elsewhere: it was only waiting


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.value)
def test_a_refusal_falls_over_at_once_under_the_same_id_and_rejections_open_the_breaker(
    engine: Engine, receiver: WebhookReceiver, benches: dict[Platform, Bench], platform: Platform
) -> None:
    bench = benches[platform]
    case_id, urls = setup(engine, receiver, bench.faulty)
    sent = []
    for n in range(3):
        at = T0 + timedelta(seconds=n)
        sent.append(alert(engine, case_id, n, at))
        run(engine, at, urls)
        assert attempts(engine, sent[-1]) == [
            ("wang_im", "rejected", bench.refused_code),
            ("wang_hook", "delivered", None),
        ]
    assert [i for _, i in receiver.delivered] == sent  # the same ids, on the next channel
    over = [e for e in events(engine, case_id) if e.kind == EventKind.CHANNEL_FAILOVER]
    assert len(over) == 3 and bench.refused_code in over[0].message
    assert "改用 wang_hook" in over[0].message and "同一通知编号" in over[0].message
    with session_scope(engine) as session:
        health = session.get(ChannelHealth, "wang_im")
        assert health is not None
        assert (health.state, health.failures, health.last_code) == (
            "down", 3, bench.refused_code,
        )  # fmt: skip
    fourth = alert(engine, case_id, 3, T0 + timedelta(seconds=5))
    run(engine, T0 + timedelta(seconds=5), urls)
    assert attempts(engine, fourth) == [("wang_hook", "delivered", None)]  # straight there


@pytest.mark.parametrize("platform", [Platform.ALIYUN_SMS, Platform.TENCENT_SMS], ids=str)
def test_sms_keeps_the_per_phone_limit_by_merging_never_by_being_refused(
    engine: Engine, receiver: WebhookReceiver, benches: dict[Platform, Bench], platform: Platform
) -> None:
    bench = benches[platform]
    case_id, urls = setup(engine, receiver, bench.url)
    first = [alert(engine, case_id, n, T0) for n in range(3)]
    run(engine, T0, urls)
    assert len(bench.stand_in.received) == 1  # three alerts, one SMS
    assert f"{case_id}号等3件" in bench.stand_in.received[0].text
    later = [alert(engine, case_id, n, T0 + timedelta(seconds=10)) for n in range(3, 5)]
    run(engine, T0 + timedelta(seconds=10), urls)
    assert len(bench.stand_in.received) == 1  # the phone's window is not over: they wait
    waiting = row(engine, later[0])
    assert waiting.next_attempt_at is not None
    run(engine, waiting.next_attempt_at, urls)
    assert len(bench.stand_in.received) == 2 and bench.stand_in.refused == []
    assert all(row(engine, i).status == NotificationStatus.SENT for i in first + later)
