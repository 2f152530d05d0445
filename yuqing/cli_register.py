"""`yuqing case register`: 人工登记 (a citizen's report, a hotline call, a referral from the
cyberspace office): a case always results, or a similar open one is joined; when the item was
posted and when the event occurred, if given, are the anchors the policy's deadlines count from.
Registered on the `case` command group by `yuqing.cli_case`."""

from __future__ import annotations

import typer

from models.policy.states import CATEGORY_HELP
from yuqing import cli_action
from yuqing.cli_common import AT, refusals

NO_CASE = 0  # a registration names no case: it opens (or joins) one


def register_case(
    title: str = typer.Option(None, "--title", help="标题（如：市民来电反映某中学食堂问题）"),
    text: str = typer.Option("", "--text", help="内容摘要"),
    url: str = typer.Option(None, "--url", help="原帖链接（如有）"),
    by: str = typer.Option(
        None, "--by", help="登记人：人员编号或姓名（默认：配置的 [cli] operator）"
    ),
    via: str = typer.Option("命令行登记", "--via", help="来源：群众反映、热线电话、网信办转办等"),
    category: str = typer.Option(None, "--category", help=f"类别：{CATEGORY_HELP}"),
    grade: str = typer.Option(None, "--grade", help="登记人提出的等级（高于规则判定时采用）"),
    posted_at: str = typer.Option(
        None, "--posted-at", help="网民发帖时间（如 2026-11-22 08:30，无时区按本地时区）"
    ),
    occurred_at: str = typer.Option(None, "--occurred-at", help="事件（舆情）发生时间"),
    clicks: int = typer.Option(0, "--clicks", min=0, max=2**31 - 1, help="点击量"),
    comments: int = typer.Option(0, "--comments", min=0, max=2**31 - 1, help="评论数"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    at: str = AT,
) -> None:
    if title is None:
        from models.repo.cases import CaseError

        with refusals():
            raise CaseError("缺少字段 title（标题）：请用 --title 指明")
    form = {"title": title, "text": text, "url": url, "via": via, "category": category}
    form |= {"grade": grade, "clicks": str(clicks), "comments": str(comments)}
    form |= {"posted_at": posted_at, "occurred_at": occurred_at}
    cli_action.act("register", NO_CASE, by=by, as_json=as_json, form=form)
