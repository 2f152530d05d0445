"""A dispatcher takes over what a dead one held even while it is busy, on both backends with
real Apprise to a real receiver: a person's alert was `sending` under a dispatcher that has just
died (its last beat a moment ago, so not yet presumed dead); the person's next alerts are due
and cannot be claimed behind it, so the live dispatcher looks again every poll, many times a
second. Once the dead one's beat is older than the claimer timeout its alert is taken over
(recorded as recovered) and everything reaches the person, in order, under its own ids."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import col, select

from models.policy.clocks import utc_now
from models.policy.states import EventKind, NotificationStatus
from models.store.db import session_scope
from models.store.tables import CaseEvent, Notification
from notifications.dispatch import Dispatcher
from notifications.liveness import beat
from settings import Dispatch
from tests.support.outbox import add_people, fill_outbox
from yuqing.localservers import WebhookReceiver

OPTIONS = Dispatch(heartbeat_seconds=0.5, claimer_timeout_seconds=2.0)
DEAD = "vanished:1:deadbeef"


def test_a_busy_dispatcher_still_takes_over_a_dead_ones_alert(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    add_people(engine, ["p0"])
    order = fill_outbox(engine, ["p0"], 4, at=utc_now() - timedelta(seconds=1))
    first = order["p0"][0]
    with session_scope(engine) as session:  # it died just now, mid-send of the first alert
        beat(session, me=DEAD, now=utc_now())
        session.execute(
            update(Notification)
            .where(col(Notification.id) == first)
            .values(status=NotificationStatus.SENDING, claimed_by=DEAD, claimed_at=utc_now())
        )
    urls = {"p0_hook": receiver.apprise_url("/p0")}
    dispatcher = Dispatcher(engine, channel_url=urls.get, options=OPTIONS)
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.serve, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60  # a hang guard
        while time.monotonic() < deadline:
            with session_scope(engine) as session:
                statuses = set(session.exec(select(Notification.status)).all())
            if statuses == {NotificationStatus.SENT}:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert statuses == {NotificationStatus.SENT}
    assert [i for _, i in receiver.delivered] == order["p0"] and not receiver.repeats
    with session_scope(engine) as session:
        recovered = session.exec(
            select(CaseEvent.data).where(CaseEvent.kind == EventKind.SEND_RECOVERED)
        ).all()
    assert [data["notification"] for data in recovered] == [first]
