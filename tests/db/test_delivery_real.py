"""Delivery through real Apprise to real local receivers (an HTTP receiver for json:// and
form://, an SMTP server for mailto://), on both database backends: what each channel got, the
outage of a receiver (refused, then HTTP 500, then recovered), fall-over to the next channel
when one never recovers, and every attempt on the case timeline (送达 evidence)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import select

from models.policy.states import EventKind, NotificationStatus
from models.store.db import session_scope
from models.store.tables import Delivery
from settings import Dispatch
from tests.support.escalation import T0, cycle, events, hook_urls, ids_at, new_case, office, outbox
from tests.support.smtp import smtp_server, text_of
from yuqing.localservers import WebhookReceiver

DUE = T0 + timedelta(minutes=30)  # 一级 quick report


def test_json_form_and_mailto_each_deliver_the_chinese_alert(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {"wang": ["wang_json"], "li": ["li_form"], "zhao": ["zhao_mail"]})
    case_id = new_case(engine)
    with smtp_server() as (port, mails):
        urls = {
            "wang_json": receiver.apprise_url("/wang"),
            "li_form": receiver.form_url("/li"),
            "zhao_mail": f"mailto://127.0.0.1:{port}?from=bot@example.test&to=zhao@example.test"
            "&mode=insecure",
        }
        result = cycle(engine, DUE + timedelta(minutes=1), urls)
        mail_text = text_of(mails[0]) if mails else ""
    assert (result["levels_fired"], result["sent"], result["failed"]) == (1, 3, 0)
    by_path = {r.path: r for r in receiver.received}
    as_json, as_form = by_path["/wang"].json(), by_path["/li"].form()
    for text in (as_json["message"], as_form["message"], mail_text):
        assert f"案件：{case_id}号 某中学食堂投诉" in text and "等级：一级" in text
        assert "截止 2026-11-22 09:30，已超时 1分钟" in text and "第1级" in text
        assert f"yuqing case ack {case_id}" in text and "通知编号：" in text
    assert as_json["title"] == f"【一级舆情】快报已超时：案件{case_id}"
    kinds = Counter(e.kind for e in events(engine, case_id))
    assert kinds[EventKind.DELIVERED] == 3 and kinds[EventKind.ACCOUNTABILITY] == 1


def test_outage_refused_then_500_then_delivered_with_every_attempt_recorded(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {})
    case_id = new_case(engine)
    urls = hook_urls(receiver, ["wang", "li", "zhao"])
    options = Dispatch(attempts_per_channel=6, retry_base_seconds=1, retry_cap_seconds=4)
    at = DUE + timedelta(seconds=5)
    receiver.refuse()
    assert cycle(engine, at, urls, options=options)["failed"] == 3
    receiver.recover()
    receiver.fail_with(500)
    # Retry times count from when each send ended (the clock plus the send's own duration, which
    # a busy machine stretches): the next cycles are placed well past the 1 s and 2 s waits.
    assert cycle(engine, at + timedelta(seconds=4), urls, options=options)["failed"] == 3
    assert cycle(engine, at + timedelta(seconds=4.5), urls, options=options)["sent"] == 0  # wait
    receiver.recover()
    assert cycle(engine, at + timedelta(seconds=30), urls, options=options)["sent"] == 3
    assert sorted(path for path, _ in ids_at(receiver)) == ["/hook/li", "/hook/wang", "/hook/zhao"]
    assert receiver.rejected == 3 * 3  # each 500 retried twice within its send
    with session_scope(engine) as session:
        attempts = session.exec(
            select(Delivery.notification_id, Delivery.attempt, Delivery.outcome, Delivery.at)
        ).all()
    by_alert: dict[str, list[tuple[int, str, datetime]]] = {}
    for notification_id, number, outcome, at_ in attempts:
        by_alert.setdefault(notification_id, []).append((number, outcome, at_))
    assert len(by_alert) == 3
    for tries in by_alert.values():  # every HTTP attempt, numbered, its own time, its class
        tries.sort()
        assert [(n, o) for n, o, _ in tries] == [
            (1, "refused"),
            (2, "refused"),
            (3, "refused"),
            (4, "busy"),
            (5, "busy"),
            (6, "busy"),
            (7, "delivered"),
        ]
        times = [t for _, _, t in tries]
        assert times == sorted(times) and times[1] > times[0] and times[4] > times[3]
    timeline = [e for e in events(engine, case_id) if e.kind == EventKind.DELIVERY_FAILED]
    assert len(timeline) == 18 and "第1次尝试" in timeline[0].message
    assert Counter(e.data["outcome"] for e in timeline) == {"refused": 9, "busy": 9}
    assert all(n.status == NotificationStatus.SENT for n in outbox(engine))


def test_a_channel_that_never_recovers_falls_over_to_the_next_under_the_same_id(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {"wang": ["wang_dead", "wang_hook"], "li": ["li_hook"], "zhao": ["zhao_hook"]})
    case_id = new_case(engine)
    urls = {**hook_urls(receiver, ["wang", "li", "zhao"]), "wang_dead": "json://127.0.0.1:9/x"}
    options = Dispatch(attempts_per_channel=2, retry_base_seconds=1)
    cycle(engine, DUE, urls, options=options)
    cycle(engine, DUE + timedelta(seconds=5), urls, options=options)  # 2nd failure: fall over
    paths = Counter(path for path, _ in ids_at(receiver))
    assert paths == {"/hook/wang": 1, "/hook/li": 1, "/hook/zhao": 1}
    wang = [n for n in outbox(engine) if n.recipient_id == "wang"]
    assert [(n.channel, n.status) for n in wang] == [("wang_hook", NotificationStatus.SENT)]
    assert ("/hook/wang", wang[0].id) in ids_at(receiver)  # the id it had on the dead channel
    timeline = events(engine, case_id)
    failover = [e for e in timeline if e.kind == EventKind.CHANNEL_FAILOVER]
    assert len(failover) == 1 and "改用 wang_hook" in failover[0].message
    mine = [e for e in timeline if e.data.get("notification") == wang[0].id]
    # In causal order, each with its own time: queued, two sends of three refused attempts,
    # the fall-over they caused, the delivery on the next channel.
    assert [e.kind for e in mine] == [
        EventKind.NOTIFICATION_QUEUED,
        *[EventKind.DELIVERY_FAILED] * 6,
        EventKind.CHANNEL_FAILOVER,
        EventKind.DELIVERED,
    ]
    assert [e.at for e in mine] == sorted(e.at for e in mine)
    assert {e.data["outcome"] for e in mine[1:7]} == {"refused"}
