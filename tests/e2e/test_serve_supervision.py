"""`yuqing serve` as an operator runs it, through the faults the fault campaign found, on SQLite
and PostgreSQL, with real Apprise to a real receiver:

- killed with kill -9 mid-storm and started again on a Prefect home that has never been used:
  the alerts the killed one had in flight, and the lapses after it, are sent before the new
  Prefect server is ready (sending does not wait for Prefect), none lost, a second copy only of
  a recovered send under its own id;
- its database made read-only (SQLite: the file made immutable; PostgreSQL: the database turned
  read-only, its sessions ended) for a while: one line when that starts, one when it ends, no
  traceback, `yuqing status` exits 1 naming it meanwhile and 0 after, and the alerts that fell
  due meanwhile are delivered once it is writable again, by itself.

Time bounds are hang guards; the figures are printed (and measured by `bench/crash.py`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from models.policy.clocks import utc_now
from models.policy.states import EventKind, NotificationStatus
from models.store.db import make_engine, session_scope, upgrade_database
from models.store.tables import CaseEvent, Notification
from tests.e2e.test_status import status
from tests.support.configs import write_office_config
from tests.support.escalation import new_case
from tests.support.postgres import PostgresAdmin
from tests.support.web import free_port
from yuqing.localservers import WebhookReceiver

YUQING = str(Path(sys.executable).with_name("yuqing"))
LEVEL_ONE = 3  # a quick report's level 1: owner (office staff), leader in charge, duty officer


@dataclass
class Serve:
    """A `yuqing serve` process and every line it printed, with the time it was read."""

    process: subprocess.Popen[str]
    lines: list[tuple[float, str]] = field(default_factory=list)

    def said(self, fragment: str) -> list[str]:
        return [line for _, line in list(self.lines) if fragment in line]

    def when(self, fragment: str) -> float | None:
        return next((at for at, line in list(self.lines) if fragment in line), None)

    def output(self) -> str:
        return "".join(line for _, line in list(self.lines))


@contextmanager
def serving(config: Path) -> Iterator[Serve]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    process = subprocess.Popen(
        [YUQING, "--config", str(config), "serve"],
        cwd=config.parent,
        env={**env, "PYTHONUTF8": "1", "COLUMNS": "300"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    serve = Serve(process)

    def read() -> None:
        assert process.stdout is not None
        for line in iter(process.stdout.readline, ""):
            serve.lines.append((time.time(), line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield serve
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=10)


def office(directory: Path, database_url: str, receiver: WebhookReceiver) -> Path:
    config = write_office_config(directory, database_url=database_url, receiver=receiver)
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"\n[web]\nport = {free_port()}\n\n[serve]\nprefect_port = {free_port()}\n",
        encoding="utf-8",
    )
    return config


def wait_for(check: Callable[[], bool], *, limit: float = 240.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def rows(url: str) -> list[Notification]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return list(session.exec(select(Notification)).all())
    finally:
        engine.dispose()


def settled(url: str, cases: int) -> bool:
    try:
        found = rows(url)
    except Exception:  # the database is not writable or not there yet
        return False
    level_one = [n for n in found if n.chain == "no_completion" and n.level == 1]
    return len(level_one) >= cases * LEVEL_ONE and all(
        n.status == NotificationStatus.SENT for n in found
    )


def outbox_state(url: str) -> str:
    """For a failure's message: the outbox by status and channel."""
    return str(Counter((n.status.value, n.channel) for n in rows(url)))


def lapses(engine: Engine, cases: int, *, first: datetime, every: float) -> None:
    """`cases` 一级 quick reports (30 min) falling due from `first`, `every` seconds apart."""
    for n in range(cases):
        new_case(engine, at=first - timedelta(minutes=30) + n * timedelta(seconds=every))


def assert_once_by_id(url: str, receiver: WebhookReceiver) -> None:
    found = rows(url)
    assert sorted(receiver.delivered) == sorted((f"/hook/{n.recipient_id}", n.id) for n in found)
    engine = make_engine(url)
    with session_scope(engine) as session:
        again = Counter(
            data["notification"]
            for data in session.exec(
                select(CaseEvent.data).where(col(CaseEvent.kind) == EventKind.SEND_RECOVERED)
            ).all()
        )
    engine.dispose()
    extra = Counter(i for _, i in receiver.repeats)
    assert all(count <= again[i] for i, count in extra.items()), (extra, again)


def test_after_kill_9_serve_sends_again_before_its_new_prefect_is_up(
    database_url: str, engine: Engine, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    config = office(tmp_path, database_url, receiver)
    receiver.slow(0.2)  # each send takes a while: some are in flight when serve is killed
    cases = 30
    lapses(engine, cases, first=utc_now() + timedelta(seconds=5), every=0.7)
    with serving(config) as first:
        flowing = lambda: len(receiver.delivered) >= 12  # noqa: E731
        assert wait_for(flowing), f"{outbox_state(database_url)}\n{first.output()}"
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
    held = {n.id for n in rows(database_url) if n.status == NotificationStatus.SENDING}
    shutil.rmtree(tmp_path / "data" / "prefect", ignore_errors=True)  # a home never used
    restarted = time.time()
    with serving(config) as second:
        assert wait_for(lambda: settled(database_url, cases)), (
            f"{outbox_state(database_url)}\n{second.output()}"
        )
        assert wait_for(lambda: second.when("Prefect 服务已就绪") is not None), second.output()
        ready = second.when("Prefect 服务已就绪")
    assert ready is not None
    after = [n for n in rows(database_url) if n.sent_at and n.sent_at.timestamp() > restarted]
    first_send = min(n.sent_at for n in after if n.sent_at is not None).timestamp()
    assert first_send < ready  # sending did not wait for the fresh Prefect server
    resumed = [n.sent_at.timestamp() - restarted for n in after if n.id in held and n.sent_at]
    assert len(resumed) == len(held)  # every send the killed serve had in flight went out
    assert_once_by_id(database_url, receiver)
    print(
        f"serve kill -9: {len(held)} sends in flight resumed within "
        f"{max(resumed, default=0):.1f} s of the restart; first send after "
        f"{first_send - restarted:.1f} s; its fresh Prefect server ready after "
        f"{ready - restarted:.1f} s"
    )


def can_make_immutable(directory: Path) -> bool:
    probe = directory / "immutable-probe"
    probe.write_text("x", encoding="utf-8")
    made = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, check=False)
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True, check=False)
    probe.unlink()
    return made.returncode == 0


@contextmanager
def read_only(database_url: str, admin: PostgresAdmin | None) -> Iterator[None]:
    """The database refuses writes for the block (and takes them again after)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not can_make_immutable(Path(str(url.database)).parent):
            pytest.skip("a file cannot be made immutable here (chattr +i: root, ext4/xfs/btrfs)")
        files = [Path(str(url.database)), Path(f"{url.database}-wal")]
        files = [f for f in files if f.exists()]
        for path in files:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            for path in files:
                subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    assert admin is not None
    name = url.database
    with admin._engine.connect() as conn:  # the test's own admin connection
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
    try:
        yield
    finally:
        with admin._engine.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')


def test_a_database_made_read_only_is_said_once_and_serve_recovers_by_itself(
    database_url: str, receiver: WebhookReceiver, tmp_path: Path, request: object
) -> None:
    admin = None
    if database_url.startswith("postgresql"):
        admin = request.getfixturevalue("postgres_admin")  # type: ignore[attr-defined]
    upgrade_database(database_url)
    config = office(tmp_path, database_url, receiver)
    with serving(config) as serve:
        assert wait_for(lambda: serve.when("到期唤醒已启动") is not None), serve.output()
        engine = make_engine(database_url)
        cases = 6
        lapses(engine, cases, first=utc_now() + timedelta(seconds=8), every=1.0)
        engine.dispose()
        with read_only(database_url, admin):
            assert wait_for(lambda: bool(serve.said("故障：数据库无法写入")), limit=120), (
                serve.output()
            )
            during = status(config)
            time.sleep(10)  # several polls of the monitor, the wake-up loop and the dispatcher
        assert during.returncode == 1 and "✗ 数据库：数据库无法写入" in during.stdout, during
        assert wait_for(lambda: settled(database_url, cases)), serve.output()
        assert wait_for(lambda: bool(serve.said("恢复：数据库已恢复")), limit=60)
        after = status(config)
    output = serve.output()
    assert len(serve.said("故障：数据库")) == 1 and len(serve.said("恢复：数据库已恢复")) == 1, (
        output
    )
    assert "Traceback" not in output and "ERROR" not in output, output
    assert after.returncode == 0 and "✓ 数据库：可读写" in after.stdout, after.stdout
    assert_once_by_id(database_url, receiver)
    began = serve.when("故障：数据库") or 0
    print(f"read-only: said once at {datetime.fromtimestamp(began, UTC):%H:%M:%S}, and its end")
