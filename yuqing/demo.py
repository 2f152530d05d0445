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
from secrets import token_hex
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from deployments.prefect_api import prefect_api
from models.policy.clocks import utc_now
from yuqing.localservers import FeedServer, WebhookReceiver

DEMO_CONSOLE = "http://127.0.0.1:8000"
DEMO_PASSWORD = "yuqing-demo"  # a local demo on 127.0.0.1 only
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
        '[[units]]\nid = "office"\nname = "舆情工作领导小组办公室"\n\n' + people + web_section(),
        encoding="utf-8",
    )
    secrets = "".join(
        f'{pid}_webhook = "{receiver.apprise_url("/hook/" + pid)}"\n' for pid, _, _ in PEOPLE
    )
    # A fresh link key per demo: the alerts carry signed links to the console's address.
    link_key = f'link_key = "{token_hex(32)}"\n'
    (directory / "secrets.toml").write_text(f"{link_key}[channels]\n{secrets}", encoding="utf-8")
    return config


def web_section() -> str:
    """The console on 127.0.0.1:8000, one account for 王芳 (password DEMO_PASSWORD)."""
    from yuqing.web.security import hash_password

    return (
        f'[web]\nbase_url = "{DEMO_CONSOLE}"\n\n[[web.users]]\nusername = "wangfang"\n'
        f'person = "wangfang"\npassword_hash = "{hash_password(DEMO_PASSWORD)}"\n'
    )


def run_demo(*, keep: Path | None = None) -> int:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        code = _play(keep)
        say(
            f"打开控制台：yuqing --config {keep / 'yuqing.toml'} web，然后浏览器访问 "
            f"{DEMO_CONSOLE}/ （用户名 wangfang，密码 {DEMO_PASSWORD}）；告警中的链接也指向这里"
        )
        return code
    with tempfile.TemporaryDirectory(prefix="yuqing-demo-") as tmp:
        return _play(Path(tmp))


def _play(directory: Path) -> int:
    with (
        prefect_api(directory, say=say),
        FeedServer() as feeds,
        WebhookReceiver() as receiver,
    ):
        feed_url = feeds.serve("/forum.xml", demo_feed(feeds.url("").rstrip("/")))
        config = write_config(directory, feed_url=feed_url, receiver=receiver)
        return play(str(config), receiver)


def play(config: str, receiver: WebhookReceiver) -> int:
    """Collect, let the quick report lapse, deliver, acknowledge, complete, show the record."""
    from flows.collect import collect
    from flows.sweep import sweep
    from tasks.runtime import prepare
    from yuqing.actions import acknowledge, complete
    from yuqing.cli_case import print_case, show_data

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
    acknowledge(runtime, case_id=case_id, actor="王芳", at=ack_at, obligation_key="quick_report")
    say(
        f"{local(ack_at)}：王芳签收（等同于 yuqing case ack {case_id} --by 王芳）："
        "停止未签收提醒，快报完成前仍按时限催办"
    )
    done_at = start + timedelta(minutes=35)
    done = complete(
        runtime,
        case_id=case_id,
        obligation_key="quick_report",
        actor="王芳",
        at=done_at,
        result={"note": "已电话报告办公室负责人及值班领导"},
    )
    say(
        f"{local(done_at)}：{done.message}"
        f"（等同于 yuqing case complete {case_id} --obligation quick_report --by 王芳）"
    )
    before = len(receiver.received)
    at = start + timedelta(minutes=46)  # level 2 of the quick report was due at 45
    sweep(config=config, at=at)
    new = [r.json()["message"] for r in receiver.received[before:]]
    quick = sum("事项：快报，" in message for message in new)
    say(
        f"时钟快进到 {local(at)}：快报已完成，不再催办"
        f"（快报新告警 {quick} 条，其他事项 {len(new) - quick} 条）"
    )
    print_case(runtime, show_data(runtime, case_id))
    if not got:
        say("失败：接收端没有收到告警")
        return 1
    latest = [r.json()["message"] for r in receiver.received if r.path == "/hook/wangfang"]
    if latest and "/l/" in latest[-1]:
        say("王芳收到的最新提醒（原样；控制台运行时，其中的链接可一键办理）：")
        print(latest[-1])
    say(f"演示成功：接收端共收到 {len(receiver.received)} 条告警")
    return 0


def local(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def say(text: str) -> None:
    print(f"▶ {text}", flush=True)
