"""The faults `bench/crash.py` strikes a storm with, each as the operator's world would: a process
killed with kill -9 (the sending process, one dispatcher process, `yuqing serve` itself, a pool
worker), PostgreSQL restarted (fast, immediate), every channel of some people refusing, the
database refusing writes. Each is a function of the running storm that strikes, waits, and
returns its own figures (seconds measured on the wall clock)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peers import Receiver
from sqlalchemy.engine import make_url

from tests.support.postgres import PostgresAdmin, PostgresServer, restart_postgres

WORKER = Path(__file__).resolve().parent / "crash_worker.py"
YUQING = str(Path(sys.executable).with_name("yuqing"))


@dataclass
class Storm:
    """What a fault strikes: the running process, its config, its database, its receivers."""

    config: Path
    url: str
    receiver: Receiver
    refusing: Receiver  # the channels of the people an outage cuts off
    rng: random.Random
    kills: int
    outage: float
    server: PostgresServer | None = None
    process: subprocess.Popen[str] | None = None
    readies: list[float] = field(default_factory=list)  # when each (re)start was ready

    def start_worker(self) -> None:
        """The process that sweeps and sends (serve's wake-up loop and dispatch service)."""
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(self.config)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        self.readies.append(time.time())


def children(pid: int, fragment: str) -> list[int]:
    """Processes started by `pid` whose command line holds `fragment`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and fragment in command:
            found.append(int(entry.name))
    return found


def kill_sender(storm: Storm) -> dict[str, Any]:
    for _ in range(storm.kills):
        time.sleep(storm.rng.uniform(0.2, 3.0))
        assert storm.process is not None
        storm.process.send_signal(signal.SIGKILL)
        storm.process.wait()
        storm.start_worker()
    return {}


def kill_dispatcher(storm: Storm) -> dict[str, Any]:
    """One of two dispatcher processes killed; the service starts it again."""
    assert storm.process is not None
    restarted = []
    for _ in range(storm.kills):
        time.sleep(storm.rng.uniform(0.5, 3.0))
        victims = children(storm.process.pid, "deployments.dispatcher")
        if not victims:
            continue
        os.kill(victims[0], signal.SIGKILL)
        killed = time.time()
        while len(children(storm.process.pid, "deployments.dispatcher")) < 2:
            time.sleep(0.05)
        restarted.append(time.time() - killed)
    return {"dispatcher_restart_max_s": round(max(restarted, default=0.0), 2)}


def restart_database(mode: str) -> Callable[[Storm], dict[str, Any]]:
    def strike(storm: Storm) -> dict[str, Any]:
        assert storm.server is not None
        took = []
        for _ in range(storm.kills):
            time.sleep(storm.rng.uniform(0.5, 3.0))
            began = time.time()
            restart_postgres(storm.server, mode=mode)
            took.append(time.time() - began)
        return {"restart_max_s": round(max(took, default=0.0), 2)}

    return strike


def refuse(storm: Storm) -> dict[str, Any]:
    """Every channel of the cut-off people refuses for `outage` seconds, then takes again."""
    storm.refusing.refuse()
    time.sleep(storm.outage)
    storm.refusing.recover()
    return {"outage_s": storm.outage, "recovered_at": time.time()}


def read_only(storm: Storm) -> dict[str, Any]:
    """The database refuses writes for `outage` seconds (SQLite: its file made immutable;
    PostgreSQL: the database turned read-only and its sessions ended)."""
    url = make_url(storm.url)
    if url.get_backend_name() == "sqlite":
        files = [p for p in (Path(str(url.database)), Path(f"{url.database}-wal")) if p.exists()]
        for path in files:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            time.sleep(storm.outage)
        finally:
            for path in files:
                subprocess.run(["chattr", "-i", str(path)], check=True)
        return {"outage_s": storm.outage, "recovered_at": time.time()}
    admin = PostgresAdmin(storm.url)
    name = url.database
    with admin._engine.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
    time.sleep(storm.outage)
    with admin._engine.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    admin.dispose()
    return {"outage_s": storm.outage, "recovered_at": time.time()}


def kill_serve(storm: Storm) -> dict[str, Any]:
    """`yuqing serve` killed with kill -9 and started again on a Prefect home never used; how
    long until it sent again, and until its new Prefect server answered."""
    data = storm.config.parent / "data"
    resumed, prefect = [], []
    for _ in range(storm.kills):
        time.sleep(storm.rng.uniform(1.0, 3.0))
        assert storm.process is not None
        storm.process.send_signal(signal.SIGKILL)
        storm.process.wait()
        shutil.rmtree(data / "prefect", ignore_errors=True)
        began, before = time.time(), storm.receiver.count()
        ready_before = said(storm, "Prefect 服务已就绪")
        start_serve(storm)
        while storm.receiver.count() == before and time.time() - began < 300:
            time.sleep(0.05)
        resumed.append(time.time() - began)
        prefect.append(wait_said(storm, "Prefect 服务已就绪", ready_before) - began)
    return {
        "sends_resumed_max_s": round(max(resumed, default=0.0), 2),
        "prefect_ready_max_s": round(max(prefect, default=0.0), 2),
    }


def start_serve(storm: Storm) -> None:
    """`yuqing serve` on the storm's config, once it says its sending has started."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    before = said(storm, "通知发送已启动")
    log = (storm.config.parent / "serve.log").open("a", encoding="utf-8")
    storm.process = subprocess.Popen(
        [YUQING, "--config", str(storm.config), "serve"],
        cwd=storm.config.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    storm.readies.append(wait_said(storm, "通知发送已启动", before))


def said(storm: Storm, fragment: str) -> int:
    log = storm.config.parent / "serve.log"
    return log.read_text(encoding="utf-8").count(fragment) if log.exists() else 0


def wait_said(storm: Storm, fragment: str, before: int, limit: float = 600) -> float:
    """When serve's log shows `fragment` more than `before` times."""
    began = time.time()
    while said(storm, fragment) <= before and time.time() - began < limit:
        time.sleep(0.1)
    return time.time()


FAULTS: dict[str, Callable[[Storm], dict[str, Any]]] = {
    "kill": kill_sender,
    "dispatcher": kill_dispatcher,
    "pg-fast": restart_database("fast"),
    "pg-immediate": restart_database("immediate"),
    "refuse": refuse,
    "read-only": read_only,
    "serve": kill_serve,
}
