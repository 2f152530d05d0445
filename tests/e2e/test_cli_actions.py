"""Every `yuqing case` action command as a person types it, on a real database (SQLite and
PostgreSQL), each with a good and a bad input: exit 0 and the Chinese confirmation (or the JSON
data), exit 2 and the reason naming the case, the field or the rule that refused it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from typer.testing import CliRunner

from models.policy.clocks import utc_now
from models.repo.lifecycle import advance
from models.store.db import session_scope
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def config(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[str]:
    path = str(write_office_config(tmp_path, database_url=database_url, receiver=receiver))
    yield path
    prepare(path).engine.dispose()


def yq(config: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", config, "case", *args])


def data(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Result, reason: str) -> None:
    assert result.exit_code == 2, result.output
    assert reason in result.stderr, result.stderr


def register(config: str) -> str:
    registered = data(yq(config, "register", "--title", "市民来电：某中学食堂", "--json"))
    return str(registered["case_id"])


def test_ack_and_complete(config: str) -> None:
    case = register(config)
    acked = yq(config, "ack", case, "--by", "王芳")
    assert (
        acked.exit_code == 0 and "已签收" in acked.stdout and "完成前仍按时限催办" in acked.stdout
    )
    refused(yq(config, "ack", "42"), "案件 42 不存在")
    refused(yq(config, "ack", case, "--obligation", "quick_report"), "已由 王芳 签收")

    done = data(yq(config, "complete", case, "--obligation", "quick_report", "--json"))
    assert (done["status"], done["stage"]) == ("completed", "reported")
    refused(yq(config, "complete", case, "--obligation", "quick_report"), "已完成")
    refused(yq(config, "complete", case, "--obligation", "first_response"), "缺少字段 url")
    refused(yq(config, "complete", case, "--obligation", "verification"), "没有事项 'verification'")
    missing = yq(config, "complete", case)
    assert missing.exit_code == 2 and "--obligation" in missing.output
    url = "https://gov.example/reply/1"
    replied = yq(config, "complete", case, "--obligation", "first_response", "--url", url)
    assert replied.exit_code == 0 and "已完成" in replied.stdout


def test_extend_request_then_approve(config: str) -> None:
    case = register(config)
    until = (utc_now() + timedelta(days=1)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    ask = ["extend", case, "--obligation", "quick_report", "--by", "王芳"]
    refused(yq(config, *ask, "--until", until), "缺少字段 reason（延期理由）")
    refused(yq(config, *ask, "--reason", "等待通报"), "缺少字段 until（延至）")
    refused(yq(config, *ask, "--until", "明天", "--reason", "等待通报"), "不是有效时间")
    request = data(yq(config, *ask, "--until", until, "--reason", "等待通报", "--json"))
    assert request["status"] == "pending"
    request_id = str(request["request_id"])

    approved = yq(config, "extend", case, "--approve", request_id, "--by", "李强")
    assert approved.exit_code == 0 and "批准延期" in approved.stdout
    refused(yq(config, "extend", case, "--reject", request_id, "--by", "李强"), "已由 李强 批准")
    shown = data(yq(config, "show", case, "--json"))
    quick = next(o for o in shown["obligations"] if o["key"] == "quick_report")
    local_until = datetime.fromisoformat(until).replace(tzinfo=SHANGHAI)
    assert datetime.fromisoformat(quick["due_at"]) == local_until  # no zone: Asia/Shanghai


def test_reassign_and_escalate(config: str) -> None:
    case = register(config)
    moved = yq(
        config,
        "reassign",
        case,
        "--obligation",
        "quick_report",
        "--to",
        "sunli",
        "--reason",
        "王芳出差",
    )
    assert moved.exit_code == 0 and "已转办" in moved.stdout and "孙力" in moved.stdout
    refused(
        yq(
            config,
            "reassign",
            case,
            "--obligation",
            "quick_report",
            "--to",
            "nobody",
            "--reason",
            "x",
        ),
        "未知人员 'nobody'",
    )
    up = data(
        yq(config, "escalate", case, "--obligation", "quick_report", "--reason", "急", "--json")
    )
    assert up["level"] == 1 and up["recipients"][0] == "sunli"
    refused(yq(config, "escalate", case, "--obligation", "quick_report"), "缺少字段 reason")


def test_upgrade_and_downgrade(config: str) -> None:
    case = register(config)
    refused(yq(config, "upgrade", case, "--grade", "三级", "--reason", "x"), "升级须高于当前等级")
    up = data(yq(config, "upgrade", case, "--reason", "转发激增", "--json"))
    assert (up["from"], up["to"]) == ("g3", "g2")
    refused(yq(config, "downgrade", case, "--reason", "误判"), "缺少字段 approver（审批人）")
    down = yq(config, "downgrade", case, "--reason", "误判", "--approver", "李强", "--by", "王芳")
    assert down.exit_code == 0 and "二级 → 三级" in down.stdout


def test_close_and_reopen(config: str) -> None:
    case = register(config)
    refused(yq(config, "close", case), "不允许事件“close”")
    refused(yq(config, "reopen", case, "--reason", "新帖"), "未办结，无需重新打开")
    runtime = prepare(config)
    for event in (
        "report",
        "assess",
        "dispatch",
        "verify",
        "approve_statement",
        "respond",
        "track",
    ):
        with session_scope(runtime.engine) as session:
            advance(
                session,
                case_id=int(case),
                event=event,
                actor="王芳",
                at=utc_now(),
                policy=runtime.policy,
                calendar=runtime.calendar,
            )
    closed = yq(config, "close", case, "--reason", "平息")
    assert closed.exit_code == 0 and "已办结" in closed.stdout
    refused(yq(config, "reopen", case), "缺少字段 reason")
    reopened = data(yq(config, "reopen", case, "--reason", "出现新帖", "--json"))
    assert reopened["stage"] == "tracking"
