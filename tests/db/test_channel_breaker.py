"""Channel health, on both backends, through the real dispatcher and real Apprise: a channel whose
sends keep failing is marked down, so the next alert goes straight to the person's next channel
(no attempt on the dead one, the same notification id); when the down period ends the next
alert is the probe, and a probe that gets through brings the channel back, one that fails keeps
it down twice as long and the alert moves on at once. Health is stored per channel for
`yuqing channels status` and the console."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from models.policy.states import EventKind, NotificationStatus
from models.store.db import session_scope
from models.store.tables import ChannelHealth, Delivery
from notifications.dispatch import dispatch_pending
from notifications.outbox.rows import Outgoing, enqueue, new_notification_id
from settings import Dispatch
from tests.support.escalation import T0, events, new_case, office, outbox
from yuqing.localservers import WebhookReceiver

OPTIONS = Dispatch(
    attempts_per_channel=3,
    retry_base_seconds=1,
    retry_cap_seconds=2,
    breaker_failures=3,
    breaker_base_seconds=30,
)


def alert(engine: Engine, case_id: int, n: int, at: datetime) -> str:
    """Queue alert `n` to wang on his first channel, as the sweep does."""
    notification_id = new_notification_id()
    with session_scope(engine) as session:
        enqueue(
            session,
            [
                Outgoing(
                    case_id=case_id,
                    obligation_id=None,
                    level=1,
                    recipient_id="wang",
                    channel="wang_a",
                    subject=f"提醒{n}",
                    body=f"第{n}条\n通知编号：{notification_id}",
                    notification_id=notification_id,
                    at=at,
                    occasion=f"alert{n}",
                    due_at=at,
                )
            ],
        )
    return notification_id


def attempts_on(engine: Engine, notification_id: str) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Delivery.channel, Delivery.outcome)
            .where(Delivery.notification_id == notification_id)
            .order_by(col(Delivery.attempt))
        ).all()
    return [(channel, outcome) for channel, outcome in rows]


def health(engine: Engine, channel: str) -> ChannelHealth:
    with session_scope(engine) as session:
        row = session.get(ChannelHealth, channel)
        assert row is not None
        return row


def run(engine: Engine, at: datetime, urls: dict[str, str]) -> None:
    dispatch_pending(engine, channel_url=urls.get, now=at, options=OPTIONS)


def test_the_second_alert_during_an_outage_goes_straight_to_the_next_channel_and_a_probe_brings_the_first_back(  # noqa: E501
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {"wang": ["wang_a", "wang_b"]})
    case_id = new_case(engine)
    with WebhookReceiver() as dead:
        urls = {"wang_a": dead.apprise_url("/wang"), "wang_b": receiver.apprise_url("/wang")}
        dead.refuse()
        first = alert(engine, case_id, 1, T0)
        for seconds in (0, 10, 20):  # three failed sends (of three attempts), then fall-over
            run(engine, T0 + timedelta(seconds=seconds), urls)
        assert attempts_on(engine, first) == [("wang_a", "refused")] * 9 + [("wang_b", "delivered")]
        down = health(engine, "wang_a")
        assert (down.state, down.failures) == ("down", 3)
        assert down.retry_at is not None and down.retry_at > T0 + timedelta(seconds=50)

        second = alert(engine, case_id, 2, T0 + timedelta(seconds=25))
        run(engine, T0 + timedelta(seconds=25), urls)
        assert attempts_on(engine, second) == [("wang_b", "delivered")]  # none on the dead one
        skipped = [e for e in events(engine, case_id) if e.data.get("notification") == second]
        assert [e.kind for e in skipped] == [EventKind.CHANNEL_FAILOVER, EventKind.DELIVERED]
        assert skipped[0].data["reason"] == "channel_down" and "熔断" in skipped[0].message

        dead.recover()
        third = alert(engine, case_id, 3, down.retry_at)
        run(engine, down.retry_at, urls)
        assert attempts_on(engine, third) == [("wang_a", "delivered")]  # the probe got through
        probe = [e for e in events(engine, case_id) if e.data.get("notification") == third]
        assert probe[-1].data["probe"] is True and "（探测）" in probe[-1].message
        up = health(engine, "wang_a")
        assert (up.state, up.failures, up.sent, up.failed) == ("up", 0, 1, 3)
    paths = [(p, i) for p, i in receiver.delivered]
    assert paths == [("/wang", first), ("/wang", second)]  # same ids, on the next channel
    assert all(n.status == NotificationStatus.SENT for n in outbox(engine))


def test_a_failed_probe_keeps_the_channel_down_twice_as_long_and_the_alert_moves_on(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {"wang": ["wang_a", "wang_b"]})
    case_id = new_case(engine)
    urls = {"wang_a": "json://127.0.0.1:9/refused", "wang_b": receiver.apprise_url("/wang")}
    alert(engine, case_id, 1, T0)
    for seconds in (0, 10, 20):
        run(engine, T0 + timedelta(seconds=seconds), urls)
    retry_at = health(engine, "wang_a").retry_at
    assert retry_at is not None
    probe = alert(engine, case_id, 2, retry_at)
    run(engine, retry_at, urls)
    assert attempts_on(engine, probe) == [("wang_a", "refused")] * 3 + [("wang_b", "delivered")]
    again = health(engine, "wang_a")
    assert again.state == "down" and again.backoff_seconds == 60
    assert again.retry_at is not None and again.retry_at > retry_at + timedelta(seconds=60)
