"""serve's dispatch service keeps sending through the faults of a storm, on PostgreSQL with two
dispatcher processes (SQLite runs one thread in serve: its process is serve, killed in
`test_serve_supervision`): a dispatcher process killed with SIGKILL is started again by the
service, which says so once when it died and once when it is back; a PostgreSQL restart, fast or
immediate, needs no manual step. At the receiver (real Apprise, real HTTP): every alert arrives,
each person's in order of first arrival, and a second copy only of an alert whose send was
recovered, under its own id. Time bounds here are hang guards, not speed checks."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from deployments.dispatcher import DispatchService
from models.policy.clocks import utc_now
from models.policy.states import EventKind, NotificationStatus
from models.store.db import make_engine, session_scope, upgrade_database
from models.store.tables import CaseEvent, Dispatcher, Notification
from tasks.runtime import prepare
from tests.support.configs import write_dispatch_config
from tests.support.outbox import add_people, fill_outbox
from tests.support.postgres import restart_postgres, running_postgres
from yuqing.localservers import WebhookReceiver

PEOPLE = [f"p{n:02d}" for n in range(20)]
ALERTS = 400
DISPATCH = "processes = 2\nworkers = 4\nheartbeat_seconds = 0.5\nclaimer_timeout_seconds = 2.0\n"


def wait_for(check: Callable[[], bool], *, limit: float = 180.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def sent(engine: Engine) -> int:
    with session_scope(engine) as session:
        statuses = session.exec(select(Notification.status)).all()
    return sum(s == NotificationStatus.SENT for s in statuses)


def unsent(engine: Engine) -> str:
    """What is left, for a failure's message: statuses, claimers, the dispatchers' beats."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(
                Notification.status, Notification.claimed_by, Notification.next_attempt_at
            ).where(Notification.status != NotificationStatus.SENT)
        ).all()
        beats = session.exec(select(Dispatcher.id, Dispatcher.beat_at)).all()
    return f"{len(rows)} unsent: {Counter((r[0], r[1]) for r in rows)}; beats {beats}; {utc_now()}"


def settled(engine: Engine) -> bool:
    try:
        return sent(engine) == ALERTS
    except Exception:  # the database is restarting
        return False


def recovered(engine: Engine) -> Counter[str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(CaseEvent.data).where(col(CaseEvent.kind) == EventKind.SEND_RECOVERED)
        ).all()
    return Counter(data["notification"] for data in rows)


def assert_every_alert_once_by_id(
    engine: Engine, receiver: WebhookReceiver, order: dict[str, list[str]]
) -> None:
    arrived: dict[str, list[str]] = {}
    for path, notification_id in receiver.delivered:
        arrived.setdefault(path.strip("/"), []).append(notification_id)
    assert arrived == order  # none lost, each person's in order of first arrival
    extra, again = Counter(i for _, i in receiver.repeats), recovered(engine)
    assert all(count <= again[i] for i, count in extra.items()), (extra, again)


@pytest.fixture
def storm(
    tmp_path: Path, receiver: WebhookReceiver
) -> Iterator[Callable[[str], tuple[DispatchService, Engine, dict[str, list[str]], list[str]]]]:
    """A dispatch service with two processes on `url`, and a storm in its outbox."""
    started: list[DispatchService] = []

    def start(url: str) -> tuple[DispatchService, Engine, dict[str, list[str]], list[str]]:
        urls = {f"{p}_hook": receiver.apprise_url(f"/{p}") for p in PEOPLE}
        config = write_dispatch_config(
            tmp_path, database_url=url, channel_urls=urls, dispatch_toml=DISPATCH
        )
        runtime = prepare(str(config))
        engine = make_engine(url)
        add_people(engine, PEOPLE)
        receiver.slow(0.02)  # a storm that lasts long enough to be hit
        order = fill_outbox(engine, PEOPLE, ALERTS, at=utc_now() - timedelta(seconds=1))
        said: list[str] = []
        service = DispatchService(runtime, str(config), say=said.append)
        service.start()
        started.append(service)
        assert wait_for(lambda: sent(engine) >= ALERTS // 5), "the storm did not start"
        return service, engine, order, said

    yield start
    for service in started:
        service.stop()
        service.runtime.engine.dispose()


def test_a_killed_dispatcher_process_is_started_again_and_nothing_is_lost(
    postgres_admin: object,
    database_url: str,
    selected_backends: tuple[str, ...],
    receiver: WebhookReceiver,
    storm: Callable[[str], tuple[DispatchService, Engine, dict[str, list[str]], list[str]]],
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("on SQLite serve runs one dispatcher thread (test_serve_supervision)")
    upgrade_database(database_url)
    service, engine, order, said = storm(database_url)
    victim = service.slots[0].process
    os.kill(victim.pid, signal.SIGKILL)
    assert wait_for(lambda: settled(engine)), f"{sent(engine)} of {ALERTS} sent"
    assert wait_for(lambda: service.alive() == (2, 2), limit=30)
    assert service.slots[0].process.pid != victim.pid and service.restarts() == 1
    died = [line for line in said if line.startswith("故障：发送进程 1")]
    assert len(died) == 1 and f"进程 {victim.pid}" in died[0] and "退出码 -9" in died[0]
    assert [line for line in said if line.startswith("恢复：发送进程 1 已重启")]

    def beating() -> bool:  # the new process beats under its own identity
        with session_scope(engine) as session:
            return service.slots[0].process.pid in set(session.exec(select(Dispatcher.pid)).all())

    assert wait_for(beating, limit=30)
    assert_every_alert_once_by_id(engine, receiver, order)
    engine.dispose()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_postgres_restart_mid_storm_needs_no_manual_step(
    selected_backends: tuple[str, ...],
    receiver: WebhookReceiver,
    storm: Callable[[str], tuple[DispatchService, Engine, dict[str, list[str]], list[str]]],
    mode: str,
) -> None:
    if "postgresql" not in selected_backends:
        pytest.skip("PostgreSQL is not selected")
    with running_postgres(durable=True) as server:  # its own, keeping what it committed
        upgrade_database(server.url)
        service, engine, order, _ = storm(server.url)
        restart_postgres(server, mode=mode)
        assert wait_for(lambda: settled(engine)), unsent(engine)
        assert service.alive() == (2, 2)
        assert_every_alert_once_by_id(engine, receiver, order)
        service.stop()
        engine.dispose()
