"""An office with something on every console page, for the layout checks: a 一级 case carried to
the contact sheet with a statement waiting for approval and long item titles, an overdue 二级
case whose lapses were alerted (deliveries, accountability records), a 三级 case carried to its
review (the case library), a stored monthly report, and a signed link. `pages` names every page
a signed-in person can open, and the link pages; `served_showcase` serves that office."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from models.reports.periods import ReportKind, parse_period
from notifications.links import derive_key, sign_link
from tasks.act import ActionRequest, record_action
from tasks.reports.build import build_report
from tasks.runtime import Runtime, context_for, prepare
from tests.support.configs import OFFICE
from tests.support.escalation import T0, cycle, new_case
from tests.support.web import LINK_KEY, Clock, free_port, served, write_web_config
from yuqing.localservers import WebhookReceiver

LONG = "某中学食堂饭菜变质，多名家长在论坛发帖称孩子在学校食堂吃到变质饭菜，要求学校公开说明"
NOW = T0 + timedelta(hours=4)
IDS = {name: pid for pid, name, *_ in OFFICE}


@dataclass(frozen=True)
class Showcase:
    busy: int  # 一级, at the contact sheet, a statement waiting
    late: int  # 二级, overdue and alerted
    done: int  # 三级, reviewed
    link: str  # a signed 签收 link of 王芳's on the late case (path and token)


def _act(
    runtime: Runtime, action: str, case_id: int, actor: str, minutes: int, **form: str
) -> None:
    """The action as the `act` task records it (its steps are carried out by the sweeps)."""
    at = T0 + timedelta(minutes=minutes)
    acted = record_action(runtime, ActionRequest(action, case_id, IDS[actor], at, "test", form))
    assert acted.change is not None, acted.refused


def build(runtime: Runtime) -> Showcase:
    busy = new_case(runtime.engine, title=LONG)
    _act(runtime, "report", busy, "王芳", 5, text="已电话报告")
    school = {"grade": "一级", "category": "inquiry", "units": "school"}
    _act(runtime, "assess", busy, "李强", 10, **school)
    _act(runtime, "dispatch", busy, "王芳", 15)
    _act(runtime, "verify", busy, "张伟", 30, result="经核查，食堂一批蔬菜存放不当，已封存整改")
    _act(runtime, "draft", busy, "王芳", 40, text="市一中已对食堂问题立即整改。")
    late = new_case(
        runtime.engine, grade="二级", at=T0 - timedelta(hours=3), title="某小学放学拥堵"
    )
    done = new_case(runtime.engine, grade="三级", title="市民建议增设护学岗")
    for action, actor, form in (
        ("report", "王芳", {}),
        ("assess", "李强", {"grade": "三级", "category": "suggestion", "units": "school"}),
        ("dispatch", "王芳", {}),
        ("verify", "张伟", {"result": "属实"}),
        ("draft", "王芳", {"text": "已增设护学岗。"}),
        ("approve", "李强", {}),
        ("respond", "王芳", {"url": "https://gov.example/reply/1"}),
        ("track", "王芳", {}),
        ("close", "王芳", {"outcome": "subsided", "reason": "已增设护学岗"}),
        ("review", "王芳", {"summary": "回应及时", "cause": "交通组织", "lessons": "提前研判"}),
    ):
        _act(runtime, action, done, actor, 50, **form)
    ctx = context_for(runtime)
    for hours in (1, 2, 3):
        cycle(runtime.engine, T0 + timedelta(hours=hours), runtime.channel_url, ctx=ctx)
    month = parse_period(ReportKind.MONTHLY, month="2026-11", today=NOW.date())
    build_report(runtime, kind=ReportKind.MONTHLY, period=month, format="xlsx", now=NOW)
    token = sign_link(
        derive_key(LINK_KEY, "link"),
        action="ack",
        case_id=late,
        obligation_key="quick_report",
        recipient="wangfang",
        expires_at=NOW + timedelta(hours=72),
        nonce="showcase-nonce",
    )
    return Showcase(busy=busy, late=late, done=done, link=f"/l/{token}")


@contextmanager
def served_showcase(directory: Path) -> Iterator[tuple[str, Showcase, Runtime]]:
    """The showcase built in an office on SQLite under `directory` and served on a free port, its
    clock at NOW: the console's base URL, the showcase and the office's runtime."""
    port = free_port()
    with WebhookReceiver() as receiver:
        config = write_web_config(
            directory,
            database_url=f"sqlite:///{directory / 'yq.db'}",
            receiver=receiver,
            port=port,
        )
        runtime = prepare(str(config))
        show = build(runtime)
        with served(config, Clock(NOW), port=port) as base:
            yield base, show, runtime
        runtime.engine.dispose()


def pages(show: Showcase) -> dict[str, str]:
    """Page name → path, for a signed-in person (the link pages need no sign-in)."""
    return {
        "看板": "/",
        "我的待办": "/my",
        "待我审批": "/approvals",
        "看板（筛选）": "/?unit=school&grade=g1",
        "案件（联系单）": f"/cases/{show.busy}",
        "案件（超时）": f"/cases/{show.late}",
        "案件（已总结）": f"/cases/{show.done}",
        "卡住的案件": "/stuck",
        "案例库": "/library",
        "统计": "/stats?month=2026-11",
        "问责台账": "/accountability",
        "报告下载": "/reports",
        "通知渠道": "/channels",
        "人工登记": "/cases/new",
        "不存在的案件": "/cases/999999",
        "链接确认": show.link,
        "链接被拒": "/l/ack~1~x~y~1~n~forged",
    }
