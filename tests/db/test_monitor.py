"""serve's monitor on a real database, both backends, with a real HTTP server standing in for
Prefect's API: each fault state is said once when it starts and once when it ends, however many
times the monitor looks — Prefect's API away, a channel the breaker holds down, a person none of
whose channels delivers — and its view is written to `status.json` for `yuqing status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import delete

from deployments.monitor import Monitor, ServeView
from deployments.serve_record import read_status
from models.policy.faults import FaultBoard
from models.store.db import session_scope
from models.store.tables import ChannelHealth, Unreachable
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.localservers import FeedServer, WebhookReceiver

T = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def test_each_fault_is_said_once_when_it_starts_and_once_when_it_ends(
    database_url: str,
    engine: Engine,
    receiver: WebhookReceiver,
    feed_server: FeedServer,
    tmp_path: Path,
) -> None:
    config = write_office_config(tmp_path, database_url=database_url, receiver=receiver)
    runtime = prepare(str(config))
    said: list[str] = []
    view = ServeView(prefect_api="http://127.0.0.1:9/api")  # nothing listens there
    monitor = Monitor(runtime, FaultBoard(said.append), view)
    with session_scope(engine) as session:
        session.add(ChannelHealth(channel="wangfang_hook", state="down", failures=3))
        session.add(Unreachable(person_id="wangfang", since=T, last_failure_at=T))
    for second in range(5):  # five looks: still one line each
        monitor.look(T + timedelta(seconds=2 * second))
    assert sorted(said) == sorted(
        [
            "故障：Prefect 服务无法访问（http://127.0.0.1:9/api）：案件步骤暂缓执行，催办与发送照常",
            "故障：通知渠道 wangfang_hook 故障（已熔断），新通知改用使用人的下一渠道",
            "故障：王芳 的全部通知渠道均发送失败，暂时无法联系（已告知办公室与值班人员）",
        ]
    )
    status = read_status(runtime.settings.general.data_dir)
    assert status is not None and len(status["faults"]) == 3

    feed_server.serve("/api/health", b"true", "application/json")  # Prefect's API answers
    view.prefect_api = feed_server.url("/api")
    with session_scope(engine) as session:
        session.execute(delete(ChannelHealth))
        session.execute(delete(Unreachable))
    said.clear()
    for second in range(3):
        monitor.look(T + timedelta(seconds=61 + second))
    assert sorted(said) == sorted(
        [
            "恢复：Prefect 服务已恢复（持续 1分1秒）",
            "恢复：通知渠道 wangfang_hook 已恢复（持续 1分1秒）",
            "恢复：王芳 已恢复联系（持续 1分1秒）",
        ]
    )
    status = read_status(runtime.settings.general.data_dir)
    assert status is not None and status["faults"] == []
    runtime.engine.dispose()
