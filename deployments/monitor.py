"""serve's monitor: a thread that looks, every two seconds, at what serve depends on and says
each fault state once when it starts and once when it ends (`models.policy.faults.FaultBoard`,
on serve's output), never a traceback per poll, and writes serve's view of its health to
`data_dir/status.json` for `yuqing status` and `/healthz`:

- the database, by a small write (serve's own row in `lastrun`): read-only, locked, full or
  gone (`models.store.outages`); everything recovers by itself when it answers again;
- Prefect's API, once serve has one: away means case steps wait, escalation and sending go on;
- each channel the circuit breaker holds down, and each person none of whose channels delivers;
- the dispatchers (their own supervisor says when one dies and is back).

Everything it reads is the database's and the board's: the monitor itself never acts."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from models.policy.clocks import utc_now
from models.policy.faults import FaultBoard
from models.repo.lastrun import note_run
from models.store.db import session_scope
from models.store.outages import database_fault
from models.store.tables import ChannelHealth, Person, Unreachable
from tasks.runtime import Runtime

log = logging.getLogger(__name__)
EVERY_S = 2.0


@dataclass
class ServeView:
    """What serve knows of itself that the database does not: filled in as it starts."""

    started_at: datetime = field(default_factory=utc_now)
    prefect_api: str | None = None  # once its server answers (or the one configured)
    console: str | None = None
    steps_ready: bool = False
    dispatchers: Callable[[], tuple[int, int]] = lambda: (0, 0)  # (running, wanted)
    restarts: Callable[[], int] = lambda: 0
    work_pool: str | None = None


class Monitor:
    def __init__(self, runtime: Runtime, board: FaultBoard, view: ServeView) -> None:
        self.runtime, self.board, self.view = runtime, board, view
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="yuqing-monitor", daemon=True)
        self.database_ok = False

    def start(self) -> None:
        self.thread.start()

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                self.look(utc_now())
            except Exception:  # never let a bug stop the watch; said in full once per kind
                log.exception("monitor: look failed")
            if self.stop.wait(EVERY_S):
                return

    def look(self, now: datetime) -> None:
        self._database(now)
        self._prefect(now)
        if self.database_ok:
            self._channels_and_people(now)
        self._write(now)

    def _database(self, now: datetime) -> None:
        try:
            with session_scope(self.runtime.engine) as session:
                note_run(session, "serve", at=now, detail={"pid": os.getpid()})
        except Exception as error:
            fault = database_fault(error)
            if fault is None:
                raise
            self.database_ok = False
            self.board.begin(
                "database", fault.line, now=now, recovered="数据库已恢复", kind=fault.state
            )
            return
        self.database_ok = True
        self.board.end("database", now=now)

    def _prefect(self, now: datetime) -> None:
        from deployments.local_server import healthy

        api = self.view.prefect_api
        if api is None:
            return
        if healthy(api, timeout=2.0):
            self.board.end("prefect", now=now)
            return
        self.board.begin(
            "prefect",
            f"Prefect 服务无法访问（{api}）：案件步骤暂缓执行，催办与发送照常",
            now=now,
            recovered="Prefect 服务已恢复",
        )

    def _channels_and_people(self, now: datetime) -> None:
        with session_scope(self.runtime.engine) as session:
            down = [h.channel for h in session.exec(select(ChannelHealth)) if h.state != "up"]
            people = session.exec(select(Unreachable.person_id, Person.name).join(Person)).all()
        for channel in down:
            self.board.begin(
                f"channel:{channel}",
                f"通知渠道 {channel} 故障（已熔断），新通知改用使用人的下一渠道",
                now=now,
                recovered=f"通知渠道 {channel} 已恢复",
            )
        self.board.end_all("channel:", now=now, keep={f"channel:{c}" for c in down})
        for person, name in people:
            self.board.begin(
                f"person:{person}",
                f"{name} 的全部通知渠道均发送失败，暂时无法联系（已告知办公室与值班人员）",
                now=now,
                recovered=f"{name} 已恢复联系",
            )
        self.board.end_all("person:", now=now, keep={f"person:{p}" for p, _ in people})

    def _write(self, now: datetime) -> None:
        from deployments.serve_record import write_status

        running, wanted = self.view.dispatchers()
        status: dict[str, Any] = {
            "pid": os.getpid(),
            "started_at": self.view.started_at.isoformat(),
            "updated_at": now.isoformat(),
            "prefect_api": self.view.prefect_api,
            "console": self.view.console,
            "steps_ready": self.view.steps_ready,
            "work_pool": self.view.work_pool,
            "dispatchers": {"running": running, "wanted": wanted, "restarts": self.view.restarts()},
            "faults": [fault.to_json() for fault in self.board.snapshot()],
        }
        try:
            write_status(Path(self.runtime.settings.general.data_dir), status)
        except OSError as error:  # a full disk: the database's line says it already
            log.debug("monitor: cannot write the status file: %s", error)
