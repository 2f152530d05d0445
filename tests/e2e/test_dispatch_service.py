"""serve's dispatch service, on SQLite and PostgreSQL, as `yuqing serve` starts it: asked for two
dispatcher processes, on PostgreSQL it runs two (`python -m deployments.dispatcher`) that beat
under their own identities, and on SQLite (one writer) one thread, and says so; either way the
outbox is sent, each person's alerts in order, and stopping it ends every process it started."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from deployments.dispatcher import DispatchService
from models.policy.clocks import utc_now
from models.policy.states import NotificationStatus
from models.store.db import session_scope
from models.store.tables import Dispatcher, Notification
from tasks.runtime import prepare
from tests.support.configs import write_dispatch_config
from tests.support.outbox import add_people, fill_outbox
from yuqing.localservers import WebhookReceiver

PEOPLE = [f"p{n}" for n in range(6)]


def all_sent(engine: Engine) -> bool:
    with session_scope(engine) as session:
        statuses = set(session.exec(select(Notification.status)).all())
    return statuses == {NotificationStatus.SENT}


def test_the_service_runs_the_processes_asked_for_and_stops_them(
    database_url: str, engine: Engine, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    urls = {f"{p}_hook": receiver.apprise_url(f"/{p}") for p in PEOPLE}
    config = write_dispatch_config(
        tmp_path, database_url=database_url, channel_urls=urls, dispatch_toml="processes = 2"
    )
    runtime = prepare(str(config))
    said: list[str] = []
    service = DispatchService(runtime, str(config), say=said.append)
    service.start()
    try:
        postgres = engine.dialect.name == "postgresql"
        if postgres:  # both processes up (a hang guard, not a speed check)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with session_scope(engine) as session:
                    beating = session.exec(select(Dispatcher.pid)).all()
                if len(set(beating)) == 2:
                    break
                time.sleep(0.2)
            assert {p.pid for p in service.processes} == set(beating)
        add_people(engine, PEOPLE)
        order = fill_outbox(engine, PEOPLE, 60, at=utc_now() - timedelta(seconds=1))
        service.kick()
        deadline = time.monotonic() + 120
        while not all_sent(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        service.stop()
    assert all_sent(engine)
    arrived: dict[str, list[str]] = {}
    for path, notification_id in receiver.delivered:
        arrived.setdefault(path.strip("/"), []).append(notification_id)
    assert arrived == order and not receiver.repeats
    if postgres:
        assert said == ["通知发送已启动（2 个发送进程）"]
        assert [p.returncode for p in service.processes] == [0, 0]  # stopped cleanly
        with session_scope(engine) as session:
            assert not session.exec(select(Dispatcher)).all()  # both signed off
    else:
        assert said == [
            "SQLite 只允许一个写入者：发送按 1 个进程运行",
            "通知发送已启动（在本进程内）",
        ]
        assert service.thread is not None and not service.thread.is_alive()
    runtime.engine.dispose()
