"""One message per group, naming who must act, within the bot's limit, on both backends: five
people share one WeCom group bot and 100 deadlines lapse at once (each lapse tells its owner,
the leader in charge and the duty officer). The bot takes 20 messages a minute (the stand-in
refuses the 21st with 45009, as WeCom does); the dispatcher, counting the same window, merges the
lapses into the messages the minute allows. Checked as the group sees it: no refusal, no
minute over 20, every lapse named, the people who must act @mentioned, and no person's own
one-click link in the group (only the group's links, which ask who pressed them). Then the bot
is revoked: each person's alert falls over to their own channel under the same id (after three
refused messages the bot's breaker opens and the rest go there straight)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, insert
from sqlmodel import select

from models.policy import Stage
from models.policy.states import NotificationStatus, ObligationStatus
from models.repo.directory import sync_directory
from models.store.db import session_scope
from models.store.tables import Case, Delivery, Notification, Obligation
from notifications.dispatch import dispatch_pending
from notifications.links import LinkSigner
from notifications.outbox.context import DeliveryContext
from settings import Dispatch, PersonConfig, UnitConfig
from tasks.escalation import sweep
from tests.support.escalation import NAMES, POLICY, ROLES, T0
from tests.support.platforms import FakeClock
from yuqing.localservers import WebhookReceiver
from yuqing.standins import WeComStandIn

NOW = T0 + timedelta(hours=3)
LAPSES = 100
USERIDS = {p: f"uid_{p}" for p in ROLES}
SIGNER = LinkSigner(key=b"k" * 32, base_url="https://yq.example.gov.cn", ttl=timedelta(hours=72))
CTX = DeliveryContext(policy=POLICY, links=SIGNER, groups=frozenset({"office_bot"}))
OWNERS = ["wang", "li", "zhao", "chen", "sun"]


def office_on_one_bot(engine: Engine) -> int:
    people = [
        PersonConfig(
            id=p, name=NAMES[p], unit="o", roles=roles,
            channels=["office_bot", f"{p}_hook"], wecom_userid=USERIDS[p],
        )
        for p, roles in ROLES.items()
    ]  # fmt: skip
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=people)
        case = Case(
            title="积压", stage=Stage.detected, grade="g1", policy_id="default",
            discovered_at=T0, created_at=T0, updated_at=T0,
        )  # fmt: skip
        session.add(case)
        session.flush()
        assert case.id is not None
        session.execute(
            insert(Obligation),
            [
                {
                    "case_id": case.id, "key": f"k{n}", "title": f"事项{n}",
                    "owner_role": "office_staff", "anchor": "discovery",
                    "anchor_at": NOW - timedelta(hours=1), "clock": "wall",
                    "due_at": NOW - timedelta(seconds=LAPSES - n), "provisional": False,
                    "status": ObligationStatus.OPEN, "level": 0,
                    "next_check_at": NOW - timedelta(seconds=LAPSES - n),
                    "reminded_at": NOW, "assignee_id": OWNERS[n % 5],
                }
                for n in range(LAPSES)
            ],
        )  # fmt: skip
        return case.id


def test_five_people_on_one_bot_and_a_hundred_lapses(engine: Engine) -> None:
    office_on_one_bot(engine)
    queued = sweep(engine, now=NOW, ctx=CTX, batch_size=200)["queued"]
    assert queued >= LAPSES * 2  # each lapse tells its owner and the leader and duty officer
    clock = FakeClock(NOW)
    with WeComStandIn(clock=clock) as wecom:
        urls = {"office_bot": wecom.add_bot("officebotkey")}
        for minute in range(5):
            clock.at = NOW + timedelta(minutes=minute)
            dispatch_pending(engine, channel_url=urls.get, now=clock.at, options=Dispatch())
        got = wecom.to("officebotkey")
        assert wecom.refused == []  # nothing sent to be refused
        assert wecom.most_in("officebotkey", 60) <= 20  # the bot's limit kept
        texts = [g.text for g in got]
    named = {int(n) for text in texts for n in re.findall(r"事项(\d+)已超时", text)}
    assert named == set(range(LAPSES))  # every lapse named in the group's messages
    assert len(got) < LAPSES  # merged into fewer messages
    for message in got:
        people = {p for p, name in NAMES.items() if f"{name}" in message.text}
        assert {USERIDS[p] for p in people} <= set(message.mentions) and message.mentions
    links = [url for text in texts for url in re.findall(r"https://yq\.example\.gov\.cn/\S+", text)]
    assert links and all("/l/" not in u or "~@office_bot~" in u for u in links)
    with session_scope(engine) as session:
        statuses = set(session.exec(select(Notification.status)).all())
        channels = set(session.exec(select(Delivery.channel, Delivery.outcome)).all())
    assert statuses == {NotificationStatus.SENT}
    assert channels == {("office_bot", "delivered")}


def test_a_revoked_group_bot_sends_each_person_their_alert_on_their_own_channel(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office_on_one_bot(engine)
    sweep(engine, now=NOW, ctx=CTX, batch_size=200)
    with WeComStandIn() as wecom:
        urls = {f"{p}_hook": receiver.apprise_url(f"/{p}") for p in ROLES}
        urls["office_bot"] = wecom.url("revokedbotkey")
        dispatch_pending(engine, channel_url=urls.get, now=NOW, options=Dispatch())
        # three refused messages open the breaker: the rest go straight to each person
        assert [code for _, code in wecom.refused] == ["93000"] * 3
    with session_scope(engine) as session:
        rows = session.exec(select(Notification.id, Notification.recipient_id)).all()
        on_bot = select(Delivery.channel, Delivery.outcome, Delivery.code).where(
            Delivery.channel == "office_bot"
        )
        tried = session.exec(on_bot).all()
    assert set(tried) == {("office_bot", "rejected", "93000")}
    arrived = {(path.strip("/"), i) for path, i in receiver.delivered}
    assert arrived == {(person, i) for i, person in rows}  # same ids, each on their own
