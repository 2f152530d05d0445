"""The `worker` fault of `bench/crash.py`: the distributed setup as processes on this machine
(`tests.support.topology`: PostgreSQL, a Prefect server on it, one `yuqing serve`, two `yuqing
worker`s), a storm of quick reports lapsing, one worker killed with kill -9 while its escalation
run sends. Figures: alerts lost and duplicated by id, and the gap from the kill to the next alert
(the aim: 30 s on a quiet machine)."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from models.policy.clocks import utc_now
from models.policy.states import NotificationStatus
from models.store.db import make_engine, session_scope
from models.store.tables import Notification
from tests.support.escalation import new_case
from tests.support.postgres import PostgresAdmin, running_postgres
from tests.support.topology import topology
from yuqing.localservers import WebhookReceiver

LEVEL_ONE = 3  # a quick report's level 1 reaches three people
WORKERS_BUSY = 240.0


def worker_storm(deadlines: int) -> dict[str, Any]:
    cases = max(10, deadlines // LEVEL_ONE)
    with (
        running_postgres() as server,
        WebhookReceiver() as receiver,
        tempfile.TemporaryDirectory() as directory,
    ):
        admin = PostgresAdmin(server.url)
        with topology(Path(directory), admin, receiver) as setup:
            for name in ("w1", "w2"):
                setup.start_worker(name)
            setup.wait_for_workers(2)
            engine = make_engine(setup.database_url)
            start = utc_now() + timedelta(seconds=5)
            for n in range(cases):
                new_case(engine, at=start - timedelta(minutes=30) + n * timedelta(seconds=0.2))
            killed_at = _kill_busy_worker(setup, receiver, cases)
            expected = cases * LEVEL_ONE
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                with session_scope(engine) as session:
                    rows = session.exec(select(Notification)).all()
                settled = all(n.status == NotificationStatus.SENT for n in rows)
                if settled and len(receiver.delivered) >= expected:
                    break
                time.sleep(0.5)
            engine.dispose()
        admin.dispose()
    with receiver.lock:
        after = sorted(r.at for r in receiver.received if r.at > killed_at)
    delivered = Counter(i for _, i in receiver.delivered)
    lost = [n.id for n in rows if delivered[n.id] == 0]
    return {
        "fault": "worker",
        "alerts": len(rows),
        "lost": len(lost),
        "duplicated": len(receiver.repeats),
        "not_marked_sent": sum(n.status != NotificationStatus.SENT for n in rows),
        "next_alert_after_kill_s": round(after[0] - killed_at, 2) if after else None,
    }


def _kill_busy_worker(setup: Any, receiver: WebhookReceiver, cases: int) -> float:
    """Kill a worker running a flow once alerts flow; when it was killed."""
    from tests.e2e.test_serve import children_of

    deadline = time.monotonic() + WORKERS_BUSY
    while time.monotonic() < deadline:
        with receiver.lock:
            flowing = len(receiver.received) >= cases // 3
        busy = [w for w in setup.workers if children_of(w.pid)]
        if flowing and busy:
            busy[0].kill()
            killed = time.time()
            busy[0].wait()
            return killed
        time.sleep(0.1)
    raise RuntimeError("no worker ran a flow while alerts flowed: " + setup.logs())
