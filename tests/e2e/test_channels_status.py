"""`yuqing channels status` as an operator reads it, on SQLite and PostgreSQL: after the office's
receiver refused three sends in a row the channels it serves show as 故障（已熔断） with the
failure's class and the next probe, the ones never used as 尚无发送记录; the JSON form carries
the same; addresses appear only in privacy form; once a probe gets through, 正常 again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.repo.opening import open_case
from models.store.db import session_scope
from tasks.runtime import Runtime, context_for, prepare
from tests.support.configs import write_office_config
from tests.support.escalation import T0
from tests.support.escalation import cycle as run_escalation
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

DUE = T0 + timedelta(minutes=30)  # 一级 quick report: level 1 to wangfang, liqiang, zhaomin
LEVEL_ONE = ("wangfang_hook", "liqiang_hook", "zhaomin_hook")


@pytest.fixture
def runtime(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[tuple[str, Runtime]]:
    config = str(write_office_config(tmp_path, database_url=database_url, receiver=receiver))
    runtime = prepare(config)
    with session_scope(runtime.engine) as session:
        open_case(
            session,
            title="某中学食堂投诉",
            grade="一级",
            policy=runtime.policy,
            calendar=runtime.calendar,
            discovered_at=T0,
        )
    yield config, runtime
    runtime.engine.dispose()


def status(config: str) -> tuple[str, list[dict[str, object]]]:
    runner = CliRunner()
    table = runner.invoke(app, ["--config", config, "channels", "status"])
    as_json = runner.invoke(app, ["--config", config, "channels", "status", "--json"])
    assert table.exit_code == 0 and as_json.exit_code == 0, table.output + as_json.output
    return table.output, json.loads(as_json.output)


def cycle(runtime: Runtime, seconds: float) -> None:
    run_escalation(
        runtime.engine,
        DUE + timedelta(seconds=seconds),
        runtime.channel_url,
        ctx=context_for(runtime),
        options=runtime.settings.dispatch,
    )


def test_channels_down_after_refusals_and_up_again_after_a_probe(
    runtime: tuple[str, Runtime], receiver: WebhookReceiver
) -> None:
    config, rt = runtime
    receiver.refuse()
    for seconds in (0, 10, 30):  # three sends of three refused attempts each
        cycle(rt, seconds)
    table, rows = status(config)
    by_channel = {row["channel"]: row for row in rows}
    for channel in LEVEL_ONE:
        row = by_channel[channel]
        assert (row["state"], row["state_label"], row["failures"]) == ("down", "故障（已熔断）", 3)
        assert row["last_outcome"] == "未送出（连接被拒）" and row["retry_at"] is not None
    assert by_channel["sunli_hook"]["state_label"] == "尚无发送记录"
    assert by_channel["wangfang_hook"]["people"] == ["王芳"]
    assert "wangfang_hook（王芳） 故障（已熔断），连续失败 3 次" in table and "故障渠道" in table
    assert "/hook/wangfang" in str(by_channel["wangfang_hook"]["address"])  # privacy form

    receiver.recover()
    probe_at = max(str(by_channel[c]["retry_at"]) for c in LEVEL_ONE)
    with session_scope(rt.engine) as session:  # a new alert to each: the probes
        open_case(
            session,
            title="第二起",
            grade="一级",
            policy=rt.policy,
            calendar=rt.calendar,
            discovered_at=T0 + timedelta(minutes=1),
        )
    cycle(rt, 60 + 11)
    _, rows = status(config)
    assert {r["channel"]: r["state"] for r in rows if r["channel"] in LEVEL_ONE} == dict.fromkeys(
        LEVEL_ONE, "up"
    ), probe_at
