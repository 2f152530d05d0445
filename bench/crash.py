"""Crashes during a storm: 1,000 一级 deadlines fall due within 10 s while the process that
sweeps and sends (`bench/crash_worker.py`: serve's wake-up loop and dispatch service, without
Prefect) is killed with SIGKILL KILLS times at random moments and restarted each time, then
left to finish. Through real Apprise to a webhook receiver in its own process, which keeps
every copy. Printed as figures: alerts lost (queued but never arrived), duplicated (extra
copies by notification id), and the lateness after restart (arrival − the later of its due
time and the moment the worker that sent it was ready; the time the worker was dead is not
counted).

    uv run python bench/crash.py [KILLS] [--backend sqlite|postgresql] [--seed N]

The final line is one JSON object."""

from __future__ import annotations

import bisect
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import database, median, percentile
from peers import Receiver
from serving import add_deadlines, set_due, write_serve_config
from sqlalchemy import select

from models.policy.states import NotificationStatus
from models.store.db import session_scope
from models.store.tables import Notification, Obligation
from tasks.runtime import prepare

PEOPLE = [f"p{n:02d}" for n in range(50)]
DEADLINES = 1000
WORKER = Path(__file__).resolve().parent / "crash_worker.py"


def start(config: Path) -> tuple[subprocess.Popen[str], float]:
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(config)], stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    return worker, time.time()


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    kills = int(args[0]) if args else 10
    backend = sys.argv[sys.argv.index("--backend") + 1] if "--backend" in sys.argv else "sqlite"
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 7
    rng = random.Random(seed)
    with Receiver() as receiver, database(backend) as url, tempfile.TemporaryDirectory() as d:
        config = write_serve_config(
            Path(d),
            database_url=url,
            channel_urls={f"{p}_hook": receiver.url(f"/{p}") for p in PEOPLE},
            dispatch_toml="heartbeat_seconds = 0.5\nclaimer_timeout_seconds = 2.0",
        )
        runtime = prepare(str(config))
        ids = add_deadlines(
            runtime.engine, [PEOPLE[n % 50] for n in range(DEADLINES)], title="崩溃"
        )
        worker, ready = start(config)
        readies = [ready]
        first = datetime.fromtimestamp(int(time.time()) + 2, tz=UTC)
        set_due(
            runtime.engine,
            {i: first + timedelta(seconds=10 * n / DEADLINES) for n, i in enumerate(ids)},
        )
        time.sleep(max(0.0, first.timestamp() - time.time()))
        for _ in range(kills):
            time.sleep(rng.uniform(0.2, 3.0))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            worker, ready = start(config)
            readies.append(ready)
        finished = receiver.wait_for(DEADLINES, limit=300)
        time.sleep(3)  # let any last repeat land before counting
        worker.terminate()
        worker.wait(timeout=60)
        arrivals = receiver.arrivals()
        with session_scope(runtime.engine) as session:
            rows = session.execute(
                select(Notification.id, Notification.status, Obligation.due_at).join(
                    Obligation,
                    Obligation.id == Notification.obligation_id,  # type: ignore[arg-type]
                )
            ).all()
        runtime.engine.dispose()
    due_of = {i: due.timestamp() for i, _, due in rows}
    copies = Counter(i for a in arrivals for i in a.ids)
    lost = [i for i in due_of if copies[i] == 0]
    duplicated = sum(n - 1 for n in copies.values() if n > 1)
    first_arrival = {}
    for a in sorted(arrivals, key=lambda a: a.at):
        for i in a.ids:
            first_arrival.setdefault(i, a.at)
    after_restart = []
    for i, at in first_arrival.items():
        ready = readies[bisect.bisect_right(readies, at) - 1]
        after_restart.append((at - max(due_of[i], ready)) * 1000)
    unsent = sum(1 for _, status, _ in rows if status != NotificationStatus.SENT)
    print(
        f"{kills} kill -9s during a storm of {DEADLINES} deadlines ({backend}): "
        f"{len(rows)} alerts queued, {len(lost)} lost, {duplicated} duplicated (extra copies by "
        f"id), {unsent} not marked sent; lateness after restart p50 "
        f"{median(after_restart):.0f} ms, p99 {percentile(after_restart, 0.99):.0f} ms, "
        f"max {max(after_restart):.0f} ms"
    )
    print(
        json.dumps(
            {
                "kills": kills,
                "backend": backend,
                "alerts": len(rows),
                "all_arrived": finished,
                "lost": len(lost),
                "duplicated": duplicated,
                "not_marked_sent": unsent,
                "after_restart_p50_ms": round(median(after_restart), 1),
                "after_restart_p99_ms": round(percentile(after_restart, 0.99), 1),
                "after_restart_max_ms": round(max(after_restart), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
