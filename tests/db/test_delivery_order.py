"""Order, on both backends: a catch-up of 500 lapses over 20 people (yuqing was down while their
deadlines fell due, one sweep queues them all at once) reaches each person in due-time order,
one alert per message or merged (each merged message listing them in that order), while two
dispatchers claim disjoint work at the same time. The order comes from the stored sort key:
the deadlines are created in shuffled order and the sweep writes them all at one time."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import col, select

from models.policy.states import NotificationStatus
from models.repo.directory import sync_directory
from models.store.db import session_scope
from models.store.tables import Notification, Obligation
from notifications.dispatch import Dispatcher, DispatchResult
from notifications.render import NOTIFICATION_ID_RE
from settings import Dispatch, PersonConfig, UnitConfig
from tasks.escalation import sweep
from tests.support.escalation import CTX, T0
from tests.support.outbox import add_case, open_deadline
from yuqing.localservers import WebhookReceiver

PEOPLE = [f"p{n:02d}" for n in range(20)]
LAPSES = 500
NOW = T0 + timedelta(hours=3)


def catch_up(engine: Engine) -> dict[str, list[str]]:
    """500 deadlines of one 一级 case, owned by 20 people (转办: each has an assignee), due at
    shuffled times in the 10 minutes before NOW; one sweep queues their level-1 alerts. Each
    person's notification ids in due order."""
    people = [
        PersonConfig(id=p, name=f"人{p}", unit="o", roles=["monitor"], channels=[f"{p}_hook"])
        for p in PEOPLE
    ]
    rng = random.Random(12)
    dues = [NOW - timedelta(minutes=10) + timedelta(seconds=1.1 * n) for n in range(LAPSES)]
    rng.shuffle(dues)
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=people)
        case = add_case(session, title="积压", at=T0)
        rows = [
            open_deadline(case.id, f"k{n}", due, title=f"事项{n}", assignee=PEOPLE[n % len(PEOPLE)])
            for n, due in enumerate(dues)
        ]
        session.execute(insert(Obligation), rows)
    assert sweep(engine, now=NOW, ctx=CTX, batch_size=200)["queued"] == LAPSES
    with session_scope(engine) as session:
        queued = session.exec(
            select(Notification.recipient_id, Notification.id, Obligation.due_at)
            .join(Obligation, col(Obligation.id) == Notification.obligation_id)
            .order_by(col(Obligation.due_at))
        ).all()
    order: dict[str, list[str]] = {}
    for person, notification_id, _ in queued:
        order.setdefault(person, []).append(notification_id)
    return order


def two_dispatchers(engine: Engine, urls: dict[str, str], options: Dispatch) -> int:
    """Two dispatchers (own identities, pools and connections) at once, each holding up to 8
    of the 20 people at a time, so both must take part; alerts sent."""
    results: list[DispatchResult] = []
    ready = threading.Barrier(2)  # both connected before either claims: a loaded machine
    # may take longer to open one's pool than the other takes to send everything

    def run() -> None:
        dispatcher = Dispatcher(engine, channel_url=urls.get, options=options, workers=2)
        ready.wait(timeout=60)
        results.append(dispatcher.round(NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and all(r.messages for r in results)  # both did some of it
    return sum(r.sent for r in results)


@pytest.mark.parametrize("per_minute", [1000, 4], ids=["one-per-message", "merged"])
def test_a_catch_up_reaches_each_person_in_due_order(
    engine: Engine, receiver: WebhookReceiver, per_minute: int
) -> None:
    order = catch_up(engine)
    # Each answer takes a moment, as across a network: one dispatcher cannot finish the 40
    # merged messages before the other has started, so both must take part.
    receiver.slow(0.05)
    urls = {f"{p}_hook": receiver.apprise_url(f"/{p}") for p in PEOPLE}
    options = Dispatch(per_recipient_per_minute=per_minute)
    assert two_dispatchers(engine, urls, options) == LAPSES
    arrived: dict[str, list[str]] = {}
    messages: dict[str, int] = {}
    for request in receiver.received:  # in arrival order
        person = request.path.strip("/")
        arrived.setdefault(person, []).extend(NOTIFICATION_ID_RE.findall(request.json()["message"]))
        messages[person] = messages.get(person, 0) + 1
    assert arrived == order  # every alert once, each person's in due order
    assert not receiver.repeats
    if per_minute == 4:  # 25 alerts each, merged as full as a message may be (20): two
        assert set(messages.values()) == {2}
    with session_scope(engine) as session:
        statuses = set(session.exec(select(Notification.status)).all())
    assert statuses == {NotificationStatus.SENT}
