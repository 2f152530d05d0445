"""Escalation latency: 1,000 quick-report deadlines lapsing over 60 s, delivered by the serve
process's wake-up loop (`deployments.wakeup.wake_loop`, exactly what `yuqing serve` runs beside
its Prefect schedules) in its own process, through real Apprise to a local webhook receiver.
Latency = arrival at the receiver − due time, for every level-1 alert (3 per deadline).

    uv run python bench/latency.py [DEADLINES] [SPREAD_SECONDS]

The final line is one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import median, percentile
from sqlalchemy import update
from sqlmodel import select

from models.policy.clocks import utc_now
from models.repo.cases import open_case
from models.store.db import session_scope
from models.store.tables import Notification, Obligation
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.localservers import WebhookReceiver

LOOP = (
    "import sys, threading; from tasks.runtime import prepare; "
    "from deployments.wakeup import wake_loop; wake_loop(prepare(sys.argv[1]), threading.Event())"
)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    spread = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    with tempfile.TemporaryDirectory() as directory, WebhookReceiver() as receiver:
        url = f"sqlite:///{Path(directory) / 'latency.sqlite3'}"
        config = write_office_config(Path(directory), database_url=url, receiver=receiver)
        with config.open("a", encoding="utf-8") as handle:
            handle.write("\n[dispatch]\nper_recipient_per_minute = 1000000\n")
        runtime = prepare(str(config))
        first_due = utc_now() + timedelta(seconds=15)
        with session_scope(runtime.engine) as session:
            for n in range(count):
                due = first_due + timedelta(seconds=spread * n / count)
                open_case(
                    session,
                    title=f"延迟{n}",
                    grade="一级",
                    policy=runtime.policy,
                    calendar=runtime.calendar,
                    discovered_at=due - timedelta(minutes=30),
                )
            session.flush()
            # Only the lapses are measured: the owners' reminders count as already sent.
            session.execute(update(Obligation).values(reminded_at=first_due))
        loop = subprocess.Popen([sys.executable, "-c", LOOP, str(config)])
        try:
            deadline = time.time() + spread + 60
            while len(receiver.received) < 3 * count and time.time() < deadline:
                time.sleep(0.5)
        finally:
            loop.terminate()
            loop.wait()
        with session_scope(runtime.engine) as session:
            rows = session.exec(
                select(Notification.id, Obligation.due_at)
                .join(Obligation, Obligation.id == Notification.obligation_id)
                .where(Notification.chain == "no_completion", Obligation.key == "quick_report")
            ).all()
        due_of = {nid: due.timestamp() for nid, due in rows}
        import re

        ids = re.compile(r"通知编号：([0-9a-f-]{36})")
        latencies = [
            (r.at - due_of[i]) * 1000
            for r in receiver.received
            for i in ids.findall(r.json()["message"])
            if i in due_of
        ]
    print(
        f"{len(latencies)} level-1 alerts of {count} deadlines over {spread:.0f} s: "
        f"p50 {median(latencies):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )
    print(
        json.dumps(
            {
                "alerts": len(latencies),
                "p50_ms": round(median(latencies), 1),
                "p99_ms": round(percentile(latencies, 0.99), 1),
                "max_ms": round(max(latencies), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
