"""Trying a channel, as an operator would, on SQLite and PostgreSQL: `yuqing channels test NAME
--to PERSON` sends one test message through the real plugin to the WeCom stand-in and prints the
platform's answer (delivered, code 0), the person @mentioned in the group; a revoked bot prints
the platform's code and its meaning in Chinese and exits 2, never the key. `channels status`
then lists the refusal by its code, and `config check` warns only about the channel that has
never delivered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.policy.clocks import utc_now
from models.store.db import session_scope
from notifications.dispatch import dispatch_pending
from notifications.outbox.rows import Outgoing, enqueue, new_notification_id
from tasks.runtime import prepare
from yuqing.cli import app
from yuqing.standins import WeComStandIn

KEY, REVOKED = "officebot0001", "revokedbot0001"


@pytest.fixture
def office(database_url: str, tmp_path: Path) -> Iterator[tuple[str, WeComStandIn]]:
    with WeComStandIn() as wecom:
        wecom.add_bot(KEY)
        config = tmp_path / "yuqing.toml"
        config.write_text(
            f'[database]\nurl = "{database_url}"\n\n[[units]]\nid = "o"\nname = "办公室"\n\n'
            '[[people]]\nid = "wang"\nname = "王芳"\nunit = "o"\n'
            'roles = ["office_staff", "leader_in_charge", "duty_officer", "office_head", '
            '"principal_leader", "group_head"]\nchannels = ["office_bot", "old_bot"]\n'
            'wecom_userid = "wangfang"\n',
            encoding="utf-8",
        )
        (tmp_path / "secrets.toml").write_text(
            f'[channels]\noffice_bot = "{wecom.url(KEY)}"\nold_bot = "{wecom.url(REVOKED)}"\n',
            encoding="utf-8",
        )
        prepare(str(config))  # the database, as any command leaves it
        yield str(config), wecom


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_a_channel_test_prints_the_platforms_answer(office: tuple[str, WeComStandIn]) -> None:
    config, wecom = office
    code, out = cli("--config", config, "config", "check")
    assert code == 0 and "office_bot 尚无送达记录" in out and "old_bot 尚无送达记录" in out, out

    code, out = cli("--config", config, "channels", "test", "office_bot", "--to", "王芳")
    assert code == 0, out
    assert "已送达" in out and "错误码 0" in out and KEY not in out
    assert len(wecom.received) == 1 and wecom.received[0].mentions == ("wangfang",)
    assert "渠道测试" in wecom.received[0].text

    code, out = cli("--config", config, "channels", "test", "old_bot", "--json")
    assert code == 2
    answer = json.loads(out)
    assert answer["delivered"] is False and REVOKED not in out
    assert answer["attempts"] == [
        {
            "outcome": "rejected",
            "http_status": 200,
            "code": "93000",
            "reason": "企业微信错误码 93000：机器人 webhook 地址无效，或机器人已被移出群聊",
        }
    ]

    code, out = cli("--config", config, "channels", "status")
    assert (
        code == 0 and "最近失败" in out and "企业微信错误码 93000：机器人 webhook 地址无效" in out
    )
    code, out = cli("--config", config, "config", "check")
    assert code == 0 and "office_bot 尚无送达记录" not in out and "old_bot 尚无送达记录" in out


def test_status_counts_an_alerts_refusals_by_the_platforms_code(
    office: tuple[str, WeComStandIn],
) -> None:
    config, _ = office
    runtime = prepare(config)
    at = utc_now()
    with session_scope(runtime.engine) as session:
        enqueue(
            session,
            [
                Outgoing(
                    notification_id=new_notification_id(), case_id=None, obligation_id=None,
                    level=1, recipient_id="wang", channel="old_bot", subject="提醒",
                    body="王芳：\n测试", at=at, due_at=at, occasion="t1",
                )
            ],
        )  # fmt: skip
    dispatch_pending(runtime.engine, channel_url=runtime.channel_url, now=at)
    code, out = cli("--config", config, "channels", "status")
    assert code == 0 and "平台拒收（按错误码）" in out
    assert "old_bot 错误码 93000：机器人 webhook 地址无效，或机器人已被移出群聊，共 1 次" in out
    code, out = cli("--config", config, "channels", "status", "--json")
    rows = {row["channel"]: row for row in json.loads(out)}
    assert [(r["code"], r["count"]) for r in rows["old_bot"]["refusals"]] == [("93000", 1)]


def test_an_unknown_channel_or_person_is_refused_with_exit_2(
    office: tuple[str, WeComStandIn],
) -> None:
    config, wecom = office
    code, out = cli("--config", config, "channels", "test", "nosuch")
    assert code == 2 and "没有名为 nosuch 的渠道" in out
    code, out = cli("--config", config, "channels", "test", "office_bot", "--to", "nobody")
    assert code == 2 and "名录中没有 nobody" in out
    assert wecom.received == []
