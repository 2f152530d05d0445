"""Channels that misbehave, on both backends, through the real sweep, the real dispatcher and
real Apprise to real local receivers: one that answers after the timeout (the message arrived,
the answer did not), one that resets the connection after reading the request, one that flaps
between 500 and 200. Each alert reaches each of the person's channels at most once, always under
its one notification id, and the timeline shows every HTTP attempt with its outcome class, in
causal order (the fall-over after the attempt that caused it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from models.policy.states import EventKind, NotificationStatus
from models.store.tables import CaseEvent, Notification
from settings import Dispatch
from tests.support.escalation import T0, cycle, events, new_case, office, outbox
from yuqing.localservers import WebhookReceiver

DUE = T0 + timedelta(minutes=30)  # 一级 quick report: level 1 to wang, li and zhao
CHANNELS = {
    "wang": ["wang_slow", "wang_hook"],
    "li": ["li_reset", "li_hook"],
    "zhao": ["zhao_flap"],
}


@pytest.fixture
def receivers() -> Iterator[dict[str, WebhookReceiver]]:
    with (
        WebhookReceiver() as slow,
        WebhookReceiver() as reset,
        WebhookReceiver() as flap,
        WebhookReceiver() as good,
    ):
        slow.slow(1.5)  # Apprise gives up reading after 0.3 s (rto below)
        reset.reset_after_read()
        flap.flap([500, 200, 500, 200])
        yield {"slow": slow, "reset": reset, "flap": flap, "good": good}


def urls(r: dict[str, WebhookReceiver]) -> dict[str, str]:
    return {
        "wang_slow": r["slow"].apprise_url("/wang") + "?rto=0.3",
        "wang_hook": r["good"].apprise_url("/wang"),
        "li_reset": r["reset"].apprise_url("/li"),
        "li_hook": r["good"].apprise_url("/li"),
        "zhao_flap": r["flap"].apprise_url("/zhao"),
    }


def the_alert(engine: Engine, person: str) -> Notification:
    (row,) = [n for n in outbox(engine) if n.recipient_id == person and n.level == 1]
    return row


def copies(r: dict[str, WebhookReceiver], person: str, notification_id: str) -> dict[str, int]:
    """How many copies of the alert each receiver got on the person's path."""
    found = {name: rec.copies(f"/{person}", notification_id) for name, rec in r.items()}
    return {name: n for name, n in found.items() if n}


def ids_seen(r: dict[str, WebhookReceiver], person: str) -> set[str]:
    return {i for rec in r.values() for path, i in rec.delivered if path == f"/{person}"}


def trail(engine: Engine, case_id: int, notification_id: str) -> list[CaseEvent]:
    return [e for e in events(engine, case_id) if e.data.get("notification") == notification_id]


def test_a_slow_channel_gets_the_alert_once_and_the_next_channel_the_same_id(
    engine: Engine, receivers: dict[str, WebhookReceiver]
) -> None:
    office(engine, CHANNELS)
    case_id = new_case(engine)
    cycle(engine, DUE, urls(receivers))
    alert = the_alert(engine, "wang")
    assert alert.status == NotificationStatus.SENT and alert.channel == "wang_hook"
    assert copies(receivers, "wang", alert.id) == {"slow": 1, "good": 1}
    assert ids_seen(receivers, "wang") == {alert.id}
    steps = trail(engine, case_id, alert.id)
    assert [(e.kind, e.data.get("outcome")) for e in steps] == [
        (EventKind.NOTIFICATION_QUEUED, None),
        (EventKind.DELIVERY_FAILED, "unknown"),
        (EventKind.CHANNEL_FAILOVER, "unknown"),
        (EventKind.DELIVERED, "delivered"),
    ]
    assert "读取超时" in steps[1].message and "同一通知编号" in steps[2].message
    assert [e.at for e in steps] == sorted(e.at for e in steps)


def test_a_reset_after_reading_counts_as_perhaps_delivered_and_is_not_repeated_there(
    engine: Engine, receivers: dict[str, WebhookReceiver]
) -> None:
    office(engine, CHANNELS)
    case_id = new_case(engine)
    cycle(engine, DUE, urls(receivers))
    alert = the_alert(engine, "li")
    assert copies(receivers, "li", alert.id) == {"reset": 1, "good": 1}
    assert ids_seen(receivers, "li") == {alert.id}
    outcomes = [e.data.get("outcome") for e in trail(engine, case_id, alert.id)]
    assert outcomes == [None, "unknown", "unknown", "delivered"]


def test_a_flapping_channel_is_tried_again_within_the_send_and_accepts_it_once(
    engine: Engine, receivers: dict[str, WebhookReceiver]
) -> None:
    office(engine, CHANNELS)
    case_id = new_case(engine)
    cycle(engine, DUE, urls(receivers))
    alert = the_alert(engine, "zhao")
    assert alert.status == NotificationStatus.SENT
    assert copies(receivers, "zhao", alert.id) == {"flap": 1}
    steps = trail(engine, case_id, alert.id)
    assert [(e.kind, e.data.get("outcome"), e.data.get("http_status")) for e in steps[1:]] == [
        (EventKind.DELIVERY_FAILED, "busy", 500),
        (EventKind.DELIVERED, "delivered", None),
    ]
    assert [e.data["attempt"] for e in steps[1:]] == [1, 2]
    assert steps[2].at > steps[1].at  # each attempt at its own time


def test_a_slow_last_channel_is_retried_later_under_the_same_id_then_given_up(
    engine: Engine, receivers: dict[str, WebhookReceiver]
) -> None:
    office(engine, {"wang": ["wang_slow"], "li": ["li_hook"], "zhao": ["zhao_flap"]})
    case_id = new_case(engine)
    options = Dispatch(
        attempts_per_channel=3,
        retry_base_seconds=1,
        retry_cap_seconds=2,
        give_up_after=timedelta(minutes=1),
    )
    for seconds in (0, 5, 10):
        cycle(engine, DUE + timedelta(seconds=seconds), urls(receivers), options=options)
    alert = the_alert(engine, "wang")
    # Every channel (the one) failed: not given up, tried again from the first channel.
    assert alert.status == NotificationStatus.PENDING and alert.rounds == 1
    for seconds in range(90, 400, 10):  # the next round, past the time allowed
        cycle(engine, DUE + timedelta(seconds=seconds), urls(receivers), options=options)
        if the_alert(engine, "wang").status != NotificationStatus.PENDING:
            break
    alert = the_alert(engine, "wang")
    assert alert.status == NotificationStatus.FAILED  # never confirmed: people must call
    assert alert.rounds == 2
    # Every send on the person's only channel, never blind within one, all one id.
    steps = trail(engine, case_id, alert.id)
    sends = [e for e in steps if e.data.get("attempt")]
    assert copies(receivers, "wang", alert.id) == {"slow": len(sends)} and len(sends) >= 4
    assert ids_seen(receivers, "wang") == {alert.id}
    assert {e.data.get("outcome") for e in steps[1:]} == {"unknown"}
    assert steps[-1].data.get("exhausted") is True and "不再重试" in steps[-1].message
