"""`yuqing demo`: a whole case on a fast clock with real parts. A local feed server and a local
webhook receiver run on 127.0.0.1, a throw-away SQLite database holds the state, the real
collect and sweep flows run under Prefect, and the clock is moved forward instead of slept.
It prints the timeline in Chinese and the alert as the receiver got it, and returns 0 only when
the receiver got the alert."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from models.clock import utc_now
from yuqing.localservers import FeedServer, WebhookReceiver

PEOPLE = (  # id, name, role(s)
    ("wangfang", "王芳", '["office_staff"]'),
    ("liqiang", "李强", '["leader_in_charge"]'),
    ("zhaomin", "赵敏", '["duty_officer"]'),
    ("chenjun", "陈军", '["principal_leader", "office_head"]'),
)
ITEMS = (  # title, summary, clicks, comments
    (
        "某中学食堂饭菜变质，家长网上投诉",
        "多名家长在论坛发帖称孩子在学校食堂吃到变质饭菜。",
        3200,
        140,
    ),
    ("市一中校门口早高峰拥堵，网友建议增设护学岗", "有网友建议学校门口增设护学岗。", 80, 6),
    ("本市今日天气晴", "气温回升。", 10, 0),
)


def demo_feed(base: str) -> bytes:
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{base}/post/{n}?utm_source=demo</link>"
        f"<description>{escape(s)}</description><slash:comments>{c}</slash:comments>"
        f"<yq:clicks>{k}</yq:clicks></item>"
        for n, (t, s, k, c) in enumerate(ITEMS, start=1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:yq="urn:yuqing:metrics">'
        f"<channel><title>本地论坛（演示）</title><link>{base}</link>{entries}</channel></rss>"
    ).encode()


def write_config(directory: Path, *, feed_url: str, receiver: WebhookReceiver) -> Path:
    people = "".join(
        f'[[people]]\nid = "{pid}"\nname = "{name}"\nunit = "office"\nroles = {roles}\n'
        f'channels = ["{pid}_webhook"]\n\n'
        for pid, name, roles in PEOPLE
    )
    config = directory / "yuqing.toml"
    config.write_text(
        '[general]\ndata_dir = "."\n\n[policy]\npreset = "default"\n\n'
        f'[[sources]]\nid = "demo-forum"\nname = "本地论坛（演示）"\nurl = "{feed_url}"\n\n'
        '[[topics]]\nid = "school"\nname = "学校"\ninclude_any = ["学校", "中学", "一中"]\n\n'
        '[[units]]\nid = "office"\nname = "舆情工作领导小组办公室"\n\n' + people,
        encoding="utf-8",
    )
    secrets = "".join(
        f'{pid}_webhook = "{receiver.apprise_url("/hook/" + pid)}"\n' for pid, _, _ in PEOPLE
    )
    (directory / "secrets.toml").write_text(f"[channels]\n{secrets}", encoding="utf-8")
    return config


def run_demo(*, keep: Path | None = None) -> int:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return _play(keep)
    with tempfile.TemporaryDirectory(prefix="yuqing-demo-") as tmp:
        return _play(Path(tmp))


def _play(directory: Path) -> int:
    with FeedServer() as feeds, WebhookReceiver() as receiver:
        feed_url = feeds.serve("/forum.xml", demo_feed(feeds.url("").rstrip("/")))
        config = write_config(directory, feed_url=feed_url, receiver=receiver)
        return play(str(config), receiver)


def play(config: str, receiver: WebhookReceiver) -> int:
    """Collect, let the quick report lapse, deliver, acknowledge, and show the record."""
    from flows.collect import collect
    from flows.sweep import sweep
    from models.cases import acknowledge
    from models.db import session_scope
    from yuqing.cli_case import print_case, show_data
    from yuqing.runtime import prepare

    start = utc_now().replace(second=0, microsecond=0)
    say(f"演示开始（模拟时间 {local(start)}）：本地订阅源与本地接收端已启动")
    opened = collect(config=config, at=start)["cases_opened"]
    runtime = prepare(config)
    say(f"采集完成：新立案 {len(opened)} 件 → {opened}")
    if not opened:
        return 1
    case_id = opened[0]
    for minutes in (10, 31):
        at = start + timedelta(minutes=minutes)
        result = sweep(config=config, at=at)
        say(
            f"时钟快进到 {local(at)}：催办 {result['levels_fired']} 级，"
            f"发出 {result['sent']} 条，失败 {result['failed']} 条"
        )
    got = [r for r in receiver.received if f"案件：{case_id}号" in r.json().get("message", "")]
    if got:
        say("接收端收到的告警（原样）：")
        print(got[0].json()["title"])
        print(got[0].json()["message"])
    ack_at = start + timedelta(minutes=33)
    with session_scope(runtime.engine) as session:
        acknowledge(session, case_id=case_id, actor="王芳", at=ack_at)
    say(f"{local(ack_at)}：王芳签收（等同于 yuqing case ack {case_id} --by 王芳）")
    before = len(receiver.received)
    at = start + timedelta(minutes=44)  # before level 2 (45) would have fired
    sweep(config=config, at=at)
    say(f"时钟快进到 {local(at)}：签收后未再催办（新告警 {len(receiver.received) - before} 条）")
    print_case(runtime, show_data(runtime, case_id))
    if not got:
        say("失败：接收端没有收到告警")
        return 1
    say(f"演示成功：接收端共收到 {len(receiver.received)} 条告警")
    return 0


def local(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def say(text: str) -> None:
    print(f"▶ {text}", flush=True)
