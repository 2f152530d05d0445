"""The foundation slice end to end, with real parts: a local feed server, the real collect and
sweep flows under Prefect, Apprise delivering to a local webhook receiver, an acknowledgement
from the CLI, and the case timeline showing it all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from flows.collect import collect
from flows.sweep import sweep
from models.policy.clocks import utc_now
from models.policy.states import EventKind
from models.repo.cases import case_timeline
from models.store.db import session_scope
from tasks.runtime import prepare
from tests.support.configs import rss, write_office_config
from yuqing.cli import app
from yuqing.localservers import FeedServer, WebhookReceiver

pytestmark = pytest.mark.flows
# The simulated clock runs in the past, so the CLI's acknowledgement (real time) comes after it.
T0 = utc_now().replace(second=0, microsecond=0) - timedelta(hours=2)


def test_item_to_case_to_delivered_alert_to_acknowledgement(
    prefect_harness: str,
    database_url: str,
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: WebhookReceiver,
) -> None:
    feed_url = feed_server.serve(
        "/forum.xml",
        rss(
            [
                ("某中学食堂饭菜变质", "/t/1?utm_source=wx", 3200, 40),
                ("今日天气晴", "/t/2", 5000, 0),
            ]
        ),
    )
    config = str(
        write_office_config(
            tmp_path, database_url=database_url, receiver=receiver, feed_url=feed_url
        )
    )

    collected = collect(config=config, at=T0)
    assert collected["failed"] == [] and len(collected["cases_opened"]) == 1
    case_id = collected["cases_opened"][0]
    again = collect(config=config, at=T0 + timedelta(minutes=5))
    assert again["cases_opened"] == [] and again["sources"][0]["duplicates"] == 2

    reminded = sweep(config=config, at=T0 + timedelta(minutes=29))  # 75% of 30 min: the owner
    assert (reminded["reminders"], reminded["sent"]) == (1, 1)
    assert [r.path for r in receiver.received] == ["/hook/wangfang"]
    assert "快报即将到期" in receiver.received[0].json()["title"]
    result = sweep(config=config, at=T0 + timedelta(minutes=31))
    assert (result["levels_fired"], result["sent"], result["failed"]) == (1, 3, 0)

    got = {r.path: r.json() for r in receiver.received}
    assert sorted(got) == ["/hook/liqiang", "/hook/wangfang", "/hook/zhaomin"]
    message = got["/hook/wangfang"]
    assert message["title"] == f"【一级舆情】快报已超时：案件{case_id}"
    assert f"案件：{case_id}号 某中学食堂饭菜变质" in message["message"]
    due = (T0 + timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"截止 {due:%Y-%m-%d %H:%M}，已超时 1分钟" in message["message"]
    assert "通知编号：" in message["message"]

    cli = CliRunner().invoke(app, ["--config", config, "case", "ack", str(case_id), "--by", "王芳"])
    assert cli.exit_code == 0, cli.output
    assert "已签收" in cli.output
    later = sweep(config=config, at=T0 + timedelta(minutes=44))
    assert later["levels_fired"] == 0 and len(receiver.received) == 4

    with session_scope(prepare(config).engine) as session:
        timeline = case_timeline(session, case_id)
    kinds = [e.kind for e in timeline]
    assert kinds.count(EventKind.DELIVERED) == 4
    assert kinds.index(EventKind.REMINDER_DUE) < kinds.index(EventKind.DEADLINE_LAPSED)
    lapsed = kinds.index(EventKind.DEADLINE_LAPSED)
    assert kinds[lapsed:].count(EventKind.DELIVERED) == 3  # level 1, after the lapse
    assert kinds[-1] == EventKind.ACKNOWLEDGED and timeline[-1].actor == "wangfang"


def test_a_broken_source_is_reported_and_the_others_carry_on(
    prefect_harness: str,
    database_url: str,
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: WebhookReceiver,
) -> None:
    feed_url = feed_server.serve("/forum.xml", b"<html>this is not a feed</html>", "text/html")
    config = str(
        write_office_config(
            tmp_path, database_url=database_url, receiver=receiver, feed_url=feed_url
        )
    )
    result = collect(config=config, at=T0)
    assert result["sources"] == []
    assert "不是有效的 RSS/Atom 订阅源" in result["failed"][0]["error"]
