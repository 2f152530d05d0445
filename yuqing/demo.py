"""`yuqing demo`: a whole case on a fast clock with real parts. A local feed server and local
stand-ins of the platforms the office is told through run on 127.0.0.1 — the office's WeCom
group bot (王芳, 李强, 赵敏), the school's DingTalk robot with 加签 (张伟, 刘洋) and an Aliyun SMS
gateway (陈军's phone, and everyone's second channel) — a throw-away SQLite database holds the
state, the real collect, sweep and case flows run under Prefect, and the clock is moved forward
instead of slept: the quick report lapses and is alerted, then people carry the case from 快报
through 研判, 联系单, 核查, 通稿审定, 回应, 跟踪 and 办结 to 总结评估, each step telling the people
it concerns. It prints what each person did, the timeline, the lapse as the office's group saw
it and the contact sheet as the school's group saw it, and returns 0 only when the platforms
got every step's message."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from secrets import token_hex
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from deployments.prefect_api import prefect_api
from models.policy.catalogue import label
from models.policy.clocks import utc_now
from tasks.runtime import Runtime
from yuqing.demo_platforms import Platforms, SimClock
from yuqing.localservers import FeedServer
from yuqing.standins import AliyunSmsStandIn, DingTalkStandIn, WeComStandIn

DEMO_CONSOLE = "http://127.0.0.1:8000"
DEMO_PASSWORD = "yuqing-demo"  # a local demo on 127.0.0.1 only
PEOPLE = (  # id, name, unit, role(s), channels (by preference), mobile
    ("wangfang", "王芳", "office", '["office_staff"]', '["office_wecom", "sms"]', "13800000001"),
    ("liqiang", "李强", "office", '["leader_in_charge"]', '["office_wecom", "sms"]', "13800000002"),
    ("zhaomin", "赵敏", "office", '["duty_officer"]', '["office_wecom", "sms"]', "13800000003"),
    ("chenjun", "陈军", "office", '["principal_leader", "office_head"]', '["sms"]', "13800000004"),
    ("zhangwei", "张伟", "yizhong", '["unit_responsible"]', '["school_dingtalk", "sms"]',
     "13800000005"),
    ("liuyang", "刘洋", "yizhong", '["unit_liaison"]', '["school_dingtalk", "sms"]', "13800000006"),
)  # fmt: skip
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


def write_config(directory: Path, *, feed_url: str, urls: dict[str, str]) -> Path:
    people = "".join(
        f'[[people]]\nid = "{pid}"\nname = "{name}"\nunit = "{unit}"\nroles = {roles}\n'
        f'channels = {channels}\nmobile = "{mobile}"\nwecom_userid = "{pid}"\n\n'
        for pid, name, unit, roles, channels, mobile in PEOPLE
    )
    config = directory / "yuqing.toml"
    config.write_text(
        '[general]\ndata_dir = "."\n\n[policy]\npreset = "default"\n\n'
        f'[[sources]]\nid = "demo-forum"\nname = "本地论坛（演示）"\nurl = "{feed_url}"\n\n'
        '[[topics]]\nid = "school"\nname = "学校"\ninclude_any = ["学校", "中学", "一中"]\n\n'
        '[[units]]\nid = "office"\nname = "舆情工作领导小组办公室"\n\n'
        '[[units]]\nid = "yizhong"\nname = "市第一中学"\n\n' + people + web_section(),
        encoding="utf-8",
    )
    secrets = "".join(f'{name} = "{url}"\n' for name, url in urls.items())
    # A fresh link key per demo: the alerts carry signed links to the console's address.
    link_key = f'link_key = "{token_hex(32)}"\n'
    (directory / "secrets.toml").write_text(f"{link_key}[channels]\n{secrets}", encoding="utf-8")
    return config


def web_section() -> str:
    """The console on 127.0.0.1:8000, accounts for 王芳 and 张伟 (password DEMO_PASSWORD): a link
    in a group message asks who is pressing it, by their sign-in."""
    from yuqing.web.security import hash_password

    hashed = hash_password(DEMO_PASSWORD)
    users = "".join(
        f'[[web.users]]\nusername = "{who}"\nperson = "{who}"\npassword_hash = "{hashed}"\n\n'
        for who in ("wangfang", "zhangwei")
    )
    return f'[web]\nbase_url = "{DEMO_CONSOLE}"\n\n{users}'


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
        WeComStandIn(clock=(clock := SimClock())) as wecom,
        DingTalkStandIn(clock=clock) as dingtalk,
        AliyunSmsStandIn(clock=clock) as sms,
    ):
        platforms = Platforms(wecom, dingtalk, sms, clock)
        feed_url = feeds.serve("/forum.xml", demo_feed(feeds.url("").rstrip("/")))
        config = write_config(directory, feed_url=feed_url, urls=platforms.urls())
        return play(str(config), platforms)


def play(config: str, platforms: Platforms) -> int:
    """A whole case: collected, its quick report lapses and is alerted, then carried by people
    from 快报 to 总结评估, every step's notices delivered, the timeline printed."""
    from flows.collect import collect
    from flows.sweep import sweep
    from tasks.runtime import prepare
    from yuqing.cli_case import print_case, show_data

    start = utc_now().replace(second=0, microsecond=0)
    say(
        f"演示开始（模拟时间 {local(start)}）：本地订阅源已启动，本地企业微信群机器人、"
        "钉钉机器人（加签）与阿里云短信网关（模拟）已启动"
    )
    opened = collect(config=config, at=start)["cases_opened"]
    runtime = prepare(config)
    say(f"采集完成：新立案 {len(opened)} 件 → {opened}")
    if not opened:
        return 1
    case_id = opened[0]
    for minutes in (10, 31):
        at = platforms.clock.at = start + timedelta(minutes=minutes)
        result = sweep(config=config, at=at)
        say(
            f"时钟快进到 {local(at)}：催办 {result['levels_fired']} 级，"
            f"发出 {result['sent']} 条，失败 {result['failed']} 条"
        )
    lapse = [g.text for g in platforms.wecom.received if f"案件{case_id}" in g.text]
    if lapse:
        say("办公室企业微信群收到的超时告警（群里看到的原样，@ 的是要办理的人）：")
        print(lapse[0])
    steps = life_of_a_case(runtime, config, case_id, start=start, clock=platforms.clock)
    names = {pid: name for pid, name, *_ in PEOPLE}
    for minutes, who, action, message in steps:
        when = local(start + timedelta(minutes=minutes))
        say(f"{when} {names[who]}{label(action)}：{message}")
    print_case(runtime, show_data(runtime, case_id))
    return verdict(platforms, case_id, lapse=bool(lapse))


def life_of_a_case(
    runtime: Runtime, config: str, case_id: int, *, start: datetime, clock: SimClock
) -> list[tuple[int, str, str, str]]:
    """Each person's action in turn, each as the task run every front uses, its steps handed
    to the case flow that tells the people it concerns (what `yuqing serve` does by itself within
    a second)."""
    from deployments.handoff import hand_off
    from tasks.act import ActionRequest
    from yuqing.actions import run

    played = []
    for minutes, who, action, subject, form in SCRIPT:
        at = clock.at = start + timedelta(minutes=minutes)
        asked = ActionRequest(action, case_id, who, at, "demo", form, subject)
        change = run(config, asked)
        hand_off(runtime, config, case_id, at=at)
        played.append((minutes, who, action, change.message))
    return played


NOT_NEEDED = "已发布权威信息，舆情趋稳，无需召开新闻发布会"
NOTICE = "https://www.example.gov.cn/notice/2"  # 权威信息：市一中食堂整改情况通报
VERIFIED = "经核查，食堂一批蔬菜存放不当，已封存整改"
STATEMENT = "市一中已对食堂问题立即整改，相关责任人停职调查。"
REVIEW = {
    "summary": "快报及时，核查到位",
    "cause": "食堂管理疏漏",
    "lessons": "加强食品安全日常检查",
}

# Each person's action in turn: minutes after the post, who, the verb, its subject and form.
SCRIPT: list[tuple[int, str, str, str | None, dict[str, str]]] = [
    (33, "wangfang", "ack", "quick_report", {}),
    (35, "wangfang", "report", None, {"text": "已电话报告，书面快报随后"}),
    (
        40,
        "liqiang",
        "assess",
        None,
        {"grade": "一级", "category": "inquiry", "units": "yizhong"},
    ),
    (45, "wangfang", "dispatch", None, {}),
    (50, "wangfang", "complete", "written_report", {"note": "纸质快报已送达陈军"}),
    (90, "zhangwei", "complete", "verification", {"result": VERIFIED}),
    (100, "wangfang", "draft", None, {"text": STATEMENT}),
    (110, "chenjun", "approve", None, {"note": "同意发布"}),
    (120, "wangfang", "respond", None, {"url": "https://www.example.gov.cn/notice/1"}),
    (150, "wangfang", "complete", "authoritative_info", {"url": NOTICE}),
    (160, "chenjun", "instruct", None, {"text": "持续关注家长反映，整改情况一周内报我"}),
    (170, "wangfang", "waive", "press_conference", {"reason": NOT_NEEDED}),
    (180, "wangfang", "track", None, {}),
    (
        2880,
        "wangfang",
        "close",
        None,
        {"outcome": "subsided", "reason": "家长认可整改，舆情平息"},
    ),
    (2940, "wangfang", "review", None, REVIEW),
]


def verdict(platforms: Platforms, case_id: int, *, lapse: bool) -> int:
    """0 when the platforms got the lapse alert and every step's message; what they got."""
    got = [t for t in platforms.texts() if f"案件{case_id}" in t or f"{case_id}号" in t]
    expected = {
        "超时告警": any("已超时" in t for t in got) and lapse,
        "快报": any("舆情快报" in t for t in got),
        "联系单（责任单位）": any("联系单" in t for t in platforms.texts_of_school()),
        "通稿待审批": any("待审批" in t for t in got),
        "办结通知": any("办结" in t for t in got),
    }
    for what, ok in expected.items():
        say(f"接收端{'已收到' if ok else '未收到'}：{what}")
    contact = [t for t in platforms.texts_of_school() if "联系单" in t]
    if contact:
        say("市一中钉钉群收到的联系单（群里看到的原样；链接要先登录控制台确认办理人）：")
        print(contact[0])
    refused = platforms.wecom.refused + platforms.dingtalk.refused + platforms.sms.refused
    if not all(expected.values()) or refused:
        say(f"失败：没有收到全部通知，或平台拒收了 {len(refused)} 条")
        return 1
    wecom, dingtalk = len(platforms.wecom.received), len(platforms.dingtalk.received)
    sms = len(platforms.sms.received)
    say(f"演示成功：企业微信群 {wecom} 条、钉钉群 {dingtalk} 条、短信 {sms} 条，平台拒收 0 条")
    return 0


def local(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def say(text: str) -> None:
    print(f"▶ {text}", flush=True)
