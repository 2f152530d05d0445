"""`yuqing case register`: 人工登记 (a citizen's report, a hotline call, a referral from the
cyberspace office): a case always results, or a similar open one is joined; when the item was
posted and when the event occurred, if given, are the anchors the policy's deadlines count from.
Registered on the `case` command group by `yuqing.cli_case`."""

from __future__ import annotations

import getpass
from datetime import timedelta

import typer

from models.policy.registration import registration_times
from models.repo.cases import CaseError
from models.repo.intake import register
from tasks.act import record
from tasks.runtime import prepare
from yuqing.cli_common import AT, config_arg, console, now, print_json, refusals


def register_case(
    title: str = typer.Option(None, "--title", help="标题（如：市民来电反映某中学食堂问题）"),
    text: str = typer.Option("", "--text", help="内容摘要"),
    url: str = typer.Option(None, "--url", help="原帖链接（如有）"),
    by: str = typer.Option(None, "--by", help="登记人（默认：当前系统用户）"),
    via: str = typer.Option("命令行登记", "--via", help="来源：群众反映、热线电话、网信办转办等"),
    category: str = typer.Option(
        None, "--category", help="inquiry | hype | rumour | suggestion | corruption"
    ),
    grade: str = typer.Option(None, "--grade", help="登记人提出的等级（高于规则判定时采用）"),
    posted_at: str = typer.Option(
        None, "--posted-at", help="网民发帖时间（如 2026-11-22 08:30，无时区按本地时区）"
    ),
    occurred_at: str = typer.Option(None, "--occurred-at", help="事件（舆情）发生时间"),
    clicks: int = typer.Option(0, "--clicks", min=0, max=2**62, help="点击量"),
    comments: int = typer.Option(0, "--comments", min=0, max=2**62, help="评论数"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    at: str = AT,
) -> None:
    """人工登记（市民来电、信访、网信办转办等）：总会立案，或并入相似的未结案件；时限从预案
    规定的起算点（发现、发帖或发生时间）计算。"""
    with refusals():
        if title is None:
            raise CaseError("缺少字段 title（标题）：请用 --title 指明")
        runtime = prepare(config_arg())
        actor, moment = by or getpass.getuser(), now()
        horizon = timedelta(days=runtime.settings.general.horizon_days)
        given = {"posted_at": posted_at, "occurred_at": occurred_at}
        times = registration_times(given, runtime.settings.tz, now=moment, within=horizon)
        recorded = record(
            runtime,
            lambda session: register(
                session,
                title=title,
                text=text,
                actor=actor,
                via=via,
                topics=runtime.topics,
                policy=runtime.policy,
                calendar=runtime.calendar,
                now=moment,
                url=url,
                category=category,
                clicks=clicks,
                comments=comments,
                grade=grade,
                posted_at=times.get("posted_at"),
                occurred_at=times.get("occurred_at"),
            ),
            at=moment,
        )
    if as_json:
        print_json(recorded.change.data)
        return
    console.print(recorded.change.message)
