"""Every `yuqing case` action command as a person types it, on a real database (SQLite and
PostgreSQL), each with a good and a bad input: exit 0 and the Chinese confirmation (or the JSON
data), exit 2 and the reason naming the case, the field or the rule that refused it. The steps
an action causes run in the command's own `case` flow (no serve is running)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from models.policy.clocks import utc_now
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def config(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[str]:
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
    assert missing.exit_code == 2 and "缺少字段 obligation（事项）" in missing.stderr
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

    refused(yq(config, "approve", case, "--by", "王芳"), "王芳 无权审批三级案件的延期审批")
    approved = yq(config, "approve", case, "--request", request_id, "--by", "李强")
    assert approved.exit_code == 0 and "已批准延期审批申请" in approved.stdout
    refused(
        yq(config, "reject", case, "--request", request_id, "--by", "李强", "--reason", "x"),
        "已由 李强 批准",
    )
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
    refused(yq(config, "downgrade", case, "--by", "王芳"), "缺少字段 reason（降级理由）")
    asked = data(yq(config, "downgrade", case, "--reason", "误判", "--by", "王芳", "--json"))
    assert asked["status"] == "pending" and asked["kind"] == "downgrade"
    refused(yq(config, "approve", case, "--by", "赵敏"), "赵敏 无权审批二级案件的降级审批")
    down = yq(config, "approve", case, "--by", "李强")
    assert down.exit_code == 0 and "已批准降级审批申请" in down.stdout
    assert data(yq(config, "show", case, "--json"))["grade"] == "g3"


def test_a_whole_life_through_the_verbs(config: str) -> None:
    case = register(config)
    refused(
        yq(config, "close", case, "--outcome", "subsided", "--reason", "x"),
        "案件处于“发现”阶段，不能办结",
    )
    refused(yq(config, "reopen", case, "--reason", "新帖"), "未办结，无需重新打开")
    steps: list[list[str]] = [
        ["report", "--by", "王芳"],
        ["assess", "--grade", "二级", "--category", "inquiry", "--unit", "school", "--by", "李强"],
        ["dispatch", "--by", "王芳"],
        ["verify", "--result", "属实", "--by", "张伟"],
        ["draft", "--text", "已整改", "--by", "王芳"],
        ["approve", "--by", "李强"],
        ["respond", "--url", "https://gov.example/reply/1", "--by", "王芳"],
        ["track", "--by", "王芳"],
        ["close", "--outcome", "subsided", "--reason", "平息", "--by", "王芳"],
        ["review", "--summary", "处置及时", "--cause", "食堂管理", "--lessons", "加强检查"],
    ]
    stages = []
    for verb, *rest in steps:
        stages.append(data(yq(config, verb, case, *rest, "--json"))["stage"])
    assert stages == [
        "reported",
        "assessed",
        "dispatched",
        "verified",
        "verified",
        "statement_approved",
        "responded",
        "tracking",
        "closed",
        "reviewed",
    ]
    refused(yq(config, "reopen", case), "缺少字段 reason")
    reopened = data(yq(config, "reopen", case, "--reason", "出现新帖", "--json"))
    assert reopened["stage"] == "tracking"
    library = data(yq(config, "library", "--json"))
    assert [entry["case_id"] for entry in library] == [int(case)]
