"""The rules the fast dispatcher keeps, on both backends, through real Apprise to real local HTTP
receivers: sends to different people overlap while each person still gets their alerts in order; a
claim takes no more than the room the dispatcher gives it (a person's next message, then their
following ones chained while room is left); and a round larger than one record group leaves a
Delivery row and a timeline entry for every HTTP attempt, failures included."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from models.policy.states import EventKind, NotificationStatus
from models.store.db import session_scope
from models.store.tables import Delivery
from notifications.claims import CHAIN, claim
from notifications.dispatch import dispatch_pending
from notifications.dispatch_loop import RECORD_EVERY
from notifications.health import breaker_rule
from notifications.outbox.rows import Outgoing, enqueue, new_notification_id
from notifications.render import NOTIFICATION_ID_RE
from settings import Dispatch
from tests.support.escalation import T0, events, hook_urls, ids_at, new_case, office, outbox
from yuqing.localservers import WebhookReceiver

NOW = T0 + timedelta(hours=1)
ROLES = {"wang": ["office_staff"], "li": ["leader_in_charge"], "zhao": ["duty_officer"]}
ROLES |= {"chen": ["principal_leader"]}
RULE = breaker_rule(Dispatch())


@dataclass
class SlowReceiver:
    """A webhook receiver that takes `delay` seconds over each request and remembers, per path,
    the notification ids in arrival order and how many requests it was serving at once."""

    delay: float
    arrivals: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def slow_receiver(delay: float) -> Iterator[tuple[SlowReceiver, int]]:
    state = SlowReceiver(delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            message = json.loads(body)["message"]  # what Apprise's json:// channel posts
            with state.lock:
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
            time.sleep(state.delay)
            with state.lock:
                state.in_flight -= 1
                state.arrivals += [(self.path, i) for i in NOTIFICATION_ID_RE.findall(message)]
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def queue_alerts(engine: Engine, per_person: dict[str, int]) -> dict[str, list[str]]:
    """Queue alerts straight into the outbox (one case), oldest first; their ids per person."""
    office(engine, {}, roles=ROLES)
    case_id = new_case(engine)
    queued: dict[str, list[str]] = {}
    with session_scope(engine) as session:
        for person, count in per_person.items():
            for n in range(count):
                notification_id = new_notification_id()
                enqueue(
                    session,
                    [
                        Outgoing(
                            case_id=case_id,
                            obligation_id=None,
                            level=1,
                            recipient_id=person,
                            channel=f"{person}_hook",
                            subject=f"提醒{n}",
                            body=f"第{n}条\n通知编号：{notification_id}",
                            notification_id=notification_id,
                            at=T0 + timedelta(seconds=n),
                            occasion=f"bench{n}",
                            due_at=T0 + timedelta(seconds=n),
                        )
                    ],
                )
                queued.setdefault(person, []).append(notification_id)
    return queued


def deliveries(engine: Engine) -> list[tuple[str, int, bool]]:
    with session_scope(engine) as session:
        query = select(Delivery.notification_id, Delivery.attempt, Delivery.ok)
        return [(i, attempt, ok) for i, attempt, ok in session.exec(query).all()]


def test_people_are_served_at_once_and_each_gets_their_alerts_in_order(engine: Engine) -> None:
    queued = queue_alerts(engine, {"wang": 5, "li": 5, "zhao": 5, "chen": 5})
    options = Dispatch(per_recipient_per_minute=100)
    with slow_receiver(delay=0.05) as (receiver, port):
        urls = {f"{p}_hook": f"json://127.0.0.1:{port}/{p}" for p in queued}
        result = dispatch_pending(engine, channel_url=urls.get, now=NOW, options=options)
    assert (result.sent, result.failed, result.messages) == (20, 0, 20)
    assert receiver.most_in_flight >= 2  # several people at once, not one after the other
    for person, ids in queued.items():
        assert [i for path, i in receiver.arrivals if path == f"/{person}"] == ids


def test_a_claim_takes_no_more_than_the_room_it_is_given(engine: Engine) -> None:
    queued = queue_alerts(engine, {"wang": 5, "li": 5, "zhao": 5, "chen": 5})
    options = Dispatch(per_recipient_per_minute=100)
    with session_scope(engine) as session:
        first = claim(session, me="d1", now=NOW, lanes=3, options=options, rule=RULE)
    # Room for three messages: three people (most overdue first; equally overdue here, so by
    # id), each their first alert only; nothing else is held.
    assert [[(m.recipient_id, [a.id for a in m.alerts]) for m in chain] for chain in first] == [
        [(p, [queued[p][0]])] for p in ("chen", "li", "wang")
    ]
    with session_scope(engine) as session:
        second = claim(session, me="d2", now=NOW, lanes=16, options=options, rule=RULE)
    # A second claimer gets only the person nobody is sending to: their next messages in order,
    # one alert each, as many as one claim chains for a person.
    assert [[[a.id for a in m.alerts] for m in chain] for chain in second] == [
        [[i] for i in queued["zhao"][:CHAIN]]
    ]
    sending = [n for n in outbox(engine) if n.status == NotificationStatus.SENDING]
    assert sorted((n.claimed_by, n.id) for n in sending) == sorted(
        [("d1", queued[p][0]) for p in ("chen", "li", "wang")]
        + [("d2", i) for i in queued["zhao"][:CHAIN]]
    )


def test_every_attempt_of_a_round_bigger_than_a_record_group_is_evidenced(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    many = RECORD_EVERY + 40
    queued = queue_alerts(engine, {"wang": many, "li": many, "zhao": 2})
    urls = hook_urls(receiver, ["wang", "li"]) | {"zhao_hook": "json://127.0.0.1:9/x"}  # refused
    options = Dispatch(per_recipient_per_minute=1000)
    result = dispatch_pending(engine, channel_url=urls.get, now=NOW, options=options)
    assert (result.sent, result.failed) == (2 * many, 2)
    assert Counter(path for path, _ in ids_at(receiver)) == {"/hook/wang": many, "/hook/li": many}
    recorded = deliveries(engine)
    assert sorted(recorded) == sorted(
        [(i, 1, True) for p in ("wang", "li") for i in queued[p]]
        + [(i, n, False) for i in queued["zhao"] for n in (1, 2, 3)]  # refused thrice each
    )
    case_id = outbox(engine)[0].case_id
    assert case_id is not None
    kinds = Counter(e.kind for e in events(engine, case_id))
    assert (kinds[EventKind.DELIVERED], kinds[EventKind.DELIVERY_FAILED]) == (2 * many, 6)
    status = Counter((n.recipient_id, n.status) for n in outbox(engine))
    assert status == {
        ("wang", NotificationStatus.SENT): many,
        ("li", NotificationStatus.SENT): many,
        ("zhao", NotificationStatus.PENDING): 2,  # retried by a later round
    }
