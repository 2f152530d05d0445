"""Collection against real local servers under Prefect: GBK, Big5 and JSON sources next to
broken ones (malformed XML, HTML, a huge body, a redirect loop, a slow and a failing server);
a metric-driven upgrade alerted at a local receiver; a monitoring gap and its recovery."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from flows.collect import collect
from flows.sweep import sweep
from models.policy.clocks import utc_now
from models.store.db import session_scope
from models.store.tables import Item, MonitoringGap, SourceRun
from tasks.runtime import prepare
from tests.support.configs import rss, write_office_config
from yuqing.localservers import FeedServer, WebhookReceiver

pytestmark = pytest.mark.flows
T0 = utc_now().replace(second=0, microsecond=0) - timedelta(hours=3)
FAST = "fetch_attempts = 1\ngap_runs = 2\n"


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def source(sid: str, url: str, **extra: object) -> str:
    lines = "".join(f"{k} = {toml_value(v)}\n" for k, v in extra.items())
    return f'[[sources]]\nid = "{sid}"\nname = "{sid}"\nurl = "{url}"\n{lines}\n'


def test_good_sources_are_kept_and_bad_ones_reported_with_their_reason(
    prefect_harness: str,
    database_url: str,
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: WebhookReceiver,
) -> None:
    gbk = rss([("某中学食堂饭菜变质", "/g/1", 10, 1)], encoding="gbk", declared="utf-8")
    big5 = rss([("某中學教師體罰學生", "/b/1", 10, 1)], encoding="big5")
    api = {
        "data": [{"id": 1, "title": "学校门口占道经营", "url": "http://api.test/1", "clicks": 5}]
    }
    broken = rss([("学校操场塌陷", "/m/1", 1, 1)]).replace(b"</channel></rss>", b"<item><title>x &")
    sources = "".join(
        [
            source("gbk", feed_server.serve("/gbk.xml", gbk)),
            source("big5", feed_server.serve("/big5.xml", big5, "text/xml")),
            source(
                "api",
                feed_server.serve("/api", json.dumps(api).encode(), "application/json"),
                kind="json",
                mapping={"items": "data"},
            ),
            source("malformed", feed_server.serve("/bad.xml", broken)),
            source("html", feed_server.serve("/page", b"<html><p>hi</p></html>", "text/html")),
            source("huge", feed_server.serve("/huge.xml", b"<rss>" + b" " * 5000), max_bytes=1000),
            source("loop", feed_server.redirect("/a", "/b") and feed_server.redirect("/b", "/a")),
            source("slow", feed_server.serve("/slow.xml", gbk, delay=1.0), timeout_seconds=0.2),
            source("down", feed_server.serve("/down.xml", b"", status=500)),
        ]
    )
    config = str(
        write_office_config(
            tmp_path,
            database_url=database_url,
            receiver=receiver,
            sources_toml=sources,
            collect_toml=FAST,
        )
    )
    result = collect(config=config, at=T0, force=True)
    status = {r["source"]: r["status"] for r in result["sources"]}
    assert status == {"gbk": "partial", "big5": "partial", "api": "partial", "malformed": "partial"}
    failed = {f["source"]: f["error"] for f in result["failed"]}
    assert set(failed) == {"html", "huge", "loop", "slow", "down"}
    assert "不是有效的 RSS/Atom" in failed["html"] and "内容过大" in failed["huge"]
    assert "重定向" in failed["loop"] and "超时" in failed["slow"]
    assert len(result["cases_opened"]) == 4  # GBK, Big5 (traditional), JSON, the good malformed one
    with session_scope(prepare(config).engine) as session:
        titles = set(session.exec(select(Item.title)).all())
        runs = {r.source_id: r.detail for r in session.exec(select(SourceRun)).all()}
    assert {
        "某中学食堂饭菜变质",
        "某中學教師體罰學生",
        "学校门口占道经营",
        "学校操场塌陷",
    } <= titles
    assert "gb18030" in (runs["gbk"] or "") and "XML 格式有误" in (runs["malformed"] or "")

    again = collect(config=config, at=T0 + timedelta(minutes=10), force=True)
    assert again["cases_opened"] == [] and len(again["failed"]) == 5  # next run proceeds
    with session_scope(prepare(config).engine) as session:
        assert set(session.exec(select(Item.title)).all()) == titles  # nothing stored is lost


def test_a_slow_source_holds_back_nobody(
    prefect_harness: str,
    database_url: str,
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: WebhookReceiver,
) -> None:
    """Two fetches at a time; the first source is slow. Each source is stored as soon as its
    fetch is done, so the quick ones go through the other slot and are stored first."""
    slow = rss([("某中学食堂", "/s/1", 1, 1)])
    sources = source("slow", feed_server.serve("/slow.xml", slow, delay=3.0)) + "".join(
        source(f"quick{n}", feed_server.serve(f"/q{n}.xml", rss([(f"学校{n}", f"/q/{n}", 1, 1)])))
        for n in range(4)
    )
    config = str(
        write_office_config(
            tmp_path,
            database_url=database_url,
            receiver=receiver,
            sources_toml=sources,
            collect_toml=FAST + "concurrency = 2\n",
        )
    )
    result = collect(config=config, at=T0, force=True)
    order = [r["source"] for r in result["sources"]]
    assert order == ["quick0", "quick1", "quick2", "quick3", "slow"]
    assert all(r["new_items"] == 1 for r in result["sources"])


def titles(receiver: WebhookReceiver) -> list[str]:
    return [r.json()["title"] for r in receiver.received]


def test_click_band_upgrade_and_monitoring_gap_reach_the_receiver(
    prefect_harness: str,
    database_url: str,
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: WebhookReceiver,
) -> None:
    url = feed_server.serve("/forum.xml", rss([("某中学食堂饭菜变质", "/t/1", 80, 2)]))
    config = str(
        write_office_config(
            tmp_path, database_url=database_url, receiver=receiver, feed_url=url, collect_toml=FAST
        )
    )
    [case_id] = collect(config=config, at=T0, force=True)["cases_opened"]
    feed_server.serve("/forum.xml", rss([("某中学食堂饭菜变质", "/t/1?utm_source=wx", 3400, 2)]))
    second = collect(config=config, at=T0 + timedelta(minutes=2), force=True)
    assert second["upgrades"] == [{"case": case_id, "from": "g3", "to": "g1"}]
    sweep(config=config, at=T0 + timedelta(minutes=3))
    assert f"【一级舆情】等级上调：案件{case_id}" in titles(receiver)
    upgraded = [r for r in receiver.received if "等级上调" in r.json()["title"]]
    assert "三级 → 一级" in upgraded[0].json()["message"]

    feed_server.serve("/forum.xml", b"gone", "text/plain", status=404)
    for minute in (10, 20):
        collect(config=config, at=T0 + timedelta(minutes=minute), force=True)
    sweep(config=config, at=T0 + timedelta(minutes=21))
    gap_alerts = [r for r in receiver.received if "监测盲区" in r.json()["title"]]
    assert [r.path for r in gap_alerts] == ["/hook/zhaomin"]  # the duty officer
    assert "连续 2 次" in gap_alerts[0].json()["message"]

    feed_server.serve("/forum.xml", rss([("某中学食堂饭菜变质", "/t/1", 3400, 2)]))
    back = collect(config=config, at=T0 + timedelta(minutes=30), force=True)
    assert back["failed"] == []
    sweep(config=config, at=T0 + timedelta(minutes=31))
    assert "【监测恢复】本地论坛" in titles(receiver)
    with session_scope(prepare(config).engine) as session:
        [gap] = session.exec(select(MonitoringGap)).all()
    assert gap.closed_at == T0 + timedelta(minutes=30) and gap.runs == 2
