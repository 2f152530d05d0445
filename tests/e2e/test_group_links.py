"""A link pressed in a group names who pressed it, against the real app on uvicorn and the WeCom
stand-in, on SQLite and PostgreSQL. 王芳 (the owner), 李强 and 赵敏 share the office's WeCom group
bot; the 一级 quick report lapses and the group gets one message naming the three of them, its
buttons bound to the group, never to 王芳. Opened by someone not signed in, the link asks them to
sign in and changes nothing; pressed by 李强 signed in, it acts once and the record names 李强,
not the addressee; a signed-in person outside the group is refused. A link to a person's own
channel stays one-click (tests/e2e/test_links.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from models.repo.cases import case_obligations
from models.store.db import session_scope
from models.store.tables import LinkAttempt, LinkUse
from tasks.runtime import Runtime, context_for, prepare
from tests.support.console import csrf_of, sign_in
from tests.support.escalation import T0, cycle, new_case
from tests.support.web import Clock, free_port, served, write_web_config
from yuqing.localservers import WebhookReceiver
from yuqing.standins import WeComStandIn

ALERTED = T0 + timedelta(minutes=31)
IN_GROUP = ("wangfang", "liqiang", "zhaomin")
BUTTON = re.compile(r"\[(签收|完成|申请延期|转办|上报|升级)\]\((http\S+?)\)")


@dataclass
class Group:
    runtime: Runtime
    case_id: int
    message: str
    links: dict[str, str]
    url: str


@pytest.fixture
def group(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Group]:
    port = free_port()
    config = write_web_config(tmp_path, database_url=database_url, receiver=receiver, port=port)
    text = config.read_text(encoding="utf-8")
    for person in IN_GROUP:
        text = text.replace(
            f'channels = ["{person}_hook"]',
            f'channels = ["office_bot", "{person}_hook"]\nwecom_userid = "{person}"',
        )
    config.write_text(text, encoding="utf-8")
    with WeComStandIn() as wecom:
        secrets = tmp_path / "secrets.toml"
        bot = wecom.add_bot("officegroupbot")
        secrets.write_text(secrets.read_text(encoding="utf-8") + f'office_bot = "{bot}"\n')
        runtime = prepare(str(config))
        case_id = new_case(runtime.engine)
        ctx = context_for(runtime)
        cycle(runtime.engine, ALERTED, runtime.channel_url, ctx=ctx)
        [message] = [g.text for g in wecom.received]
        clock = Clock(ALERTED + timedelta(minutes=1))
        with served(config, clock, port=port) as url:
            links = {
                {"签收": "ack", "完成": "complete"}.get(label, label): link
                for label, link in BUTTON.findall(message)
            }
            yield Group(runtime, case_id, message, links, url)
    runtime.engine.dispose()


def quick_report(g: Group) -> tuple[object, object]:
    with session_scope(g.runtime.engine) as session:
        quick = next(o for o in case_obligations(session, g.case_id) if o.key == "quick_report")
        return quick.acked_at, quick.acked_by


def test_the_group_gets_one_message_naming_all_three_with_group_links(group: Group) -> None:
    [who] = re.findall(r"请 (\S+) 办理", group.message)
    assert sorted(who.split("、")) == sorted(["王芳", "李强", "赵敏"])
    assert all(f"<@{p}>" in group.message for p in IN_GROUP)
    assert set(group.links) >= {"ack", "complete"}
    assert all(
        "~@office_bot~" in link and "~wangfang~" not in link for link in group.links.values()
    )


def test_a_group_link_asks_who_pressed_it_and_records_the_member_who_did(group: Group) -> None:
    with httpx.Client(base_url=group.url, timeout=60) as stranger:
        page = stranger.get(group.links["ack"])
        assert page.status_code == 403 and "请先登录控制台" in page.text
        assert 'id="sign-in" href="/login?next=/l/' in page.text
    assert quick_report(group) == (None, None)

    with httpx.Client(base_url=group.url, timeout=60) as li:
        sign_in(li, "li")
        page = li.get(group.links["ack"])
        assert page.status_code == 200 and "李强" in page.text
        done = li.post(group.links["ack"], data={"csrf": csrf_of(page)})
        assert done.status_code == 200, done.text[:500]
    acked_at, acked_by = quick_report(group)
    assert acked_at is not None and acked_by == "liqiang"  # who pressed, not the addressee
    with session_scope(group.runtime.engine) as session:
        used = session.exec(select(LinkUse)).all()
        audit = session.exec(select(LinkAttempt).order_by(col(LinkAttempt.id))).all()
    assert [u.recipient for u in used] == ["liqiang"]
    assert [(a.outcome, a.recipient) for a in audit if a.outcome == "acted"] == [
        ("acted", "liqiang")
    ]


def test_a_signed_in_person_outside_the_group_is_refused(group: Group) -> None:
    with httpx.Client(base_url=group.url, timeout=60) as chen:
        sign_in(chen, "chen")
        page = chen.get(group.links["complete"])
        assert page.status_code == 403 and "不是该群渠道的成员" in page.text
    assert quick_report(group) == (None, None)
