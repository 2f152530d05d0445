"""Faults during a storm: 1,000 一级 deadlines (`--deadlines`) fall due within 10 s while the
process that sweeps and sends is struck by a fault (`bench/crash_faults.py`), then left to
finish. Through real Apprise to a webhook receiver in its own process, which keeps every copy.
Printed as figures: alerts lost (queued but never arrived), duplicated (extra copies by
notification id), not marked sent, and the lateness of each alert (arrival − the later of its
due time and the moment the process that sent it was ready: time spent dead is not counted),
with each fault's own figures.

    uv run python bench/crash.py [KILLS] [--fault F] [--backend sqlite|postgresql] [--seed N]
                                 [--outage SECONDS] [--deadlines N]

Faults (`--fault`, default `kill`):
- `kill`: the sending process (serve's wake-up loop and dispatch service, `bench/
  crash_worker.py`) killed with kill -9 KILLS times and restarted;
- `dispatcher`: (PostgreSQL) one of its two dispatcher processes killed KILLS times, restarted
  by the service itself;
- `pg-fast`, `pg-immediate`: (PostgreSQL, a durable server) restarted KILLS times mid-storm;
- `refuse`: every channel of five of the fifty people refuses for `--outage` s (default 600);
- `read-only`: the database refuses writes for `--outage` s (default 60);
- `serve`: `yuqing serve` itself killed with kill -9 KILLS times and restarted on a Prefect home
  never used (how long until it sends again, and until its new Prefect server answers);
- `worker`: the distributed setup (PostgreSQL, a Prefect server, serve, two workers), one worker
  killed once mid-storm (`bench/crash_worker_pool.py`: the gap until the next alert).

The final line is one JSON object."""

from __future__ import annotations

import bisect
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import database, median, percentile
from crash_faults import FAULTS, Storm, start_serve
from peers import Receiver
from serving import add_deadlines, set_due, write_serve_config
from sqlalchemy import select
from sqlmodel import col

from models.policy.states import NotificationStatus
from models.store.db import session_scope, upgrade_database
from models.store.tables import Notification, Obligation
from tasks.runtime import prepare
from tests.support.postgres import PostgresServer, running_postgres

PEOPLE = [f"p{n:02d}" for n in range(50)]
CUT_OFF = PEOPLE[:5]  # whose every channel an outage cuts off
POSTGRES_ONLY = {"dispatcher", "pg-fast", "pg-immediate", "worker"}


def option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


@contextmanager
def storage(backend: str, fault: str) -> Iterator[tuple[str, PostgresServer | None]]:
    """The storm's database; a durable PostgreSQL server of its own when the fault restarts it."""
    if fault.startswith("pg-"):
        with running_postgres(durable=True) as server:
            upgrade_database(server.url)
            yield server.url, server
        return
    with database(backend) as url:
        yield url, None


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--") and a not in _values()]
    kills = int(args[0]) if args else 10
    fault = option("--fault", "kill")
    if fault not in FAULTS and fault != "worker":
        raise SystemExit(f"--fault: one of {', '.join([*FAULTS, 'worker'])}")
    backend = "postgresql" if fault in POSTGRES_ONLY else option("--backend", "sqlite")
    outage = float(option("--outage", "600" if fault == "refuse" else "60"))
    deadlines = int(option("--deadlines", "1000"))
    rng = random.Random(int(option("--seed", "7")))
    if fault == "worker":
        from crash_worker_pool import worker_storm

        print(json.dumps(worker_storm(deadlines)))
        return
    with (
        Receiver() as receiver,
        Receiver() as refusing,
        storage(backend, fault) as (url, server),
        tempfile.TemporaryDirectory() as d,
    ):
        order = [p for p in PEOPLE if p not in CUT_OFF] + CUT_OFF  # the desk: the first one's
        urls = {f"{p}_hook": (refusing if p in CUT_OFF else receiver).url(f"/{p}") for p in order}
        processes = "processes = 2\n" if fault == "dispatcher" else ""
        config = write_serve_config(
            Path(d),
            database_url=url,
            channel_urls=urls,
            dispatch_toml=f"{processes}heartbeat_seconds = 0.5\nclaimer_timeout_seconds = 2.0",
        )
        runtime = prepare(str(config))
        owners = [PEOPLE[n % len(PEOPLE)] for n in range(deadlines)]
        ids = add_deadlines(runtime.engine, owners, title="崩溃")
        storm = Storm(config, url, receiver, refusing, rng, kills, outage, server)
        start_serve(storm) if fault == "serve" else storm.start_worker()
        first = datetime.fromtimestamp(int(time.time()) + 2, tz=UTC)
        due = {i: first + timedelta(seconds=10 * n / deadlines) for n, i in enumerate(ids)}
        set_due(runtime.engine, due)
        time.sleep(max(0.0, first.timestamp() - time.time()))
        extra = FAULTS[fault](storm)
        finished = wait_all(receiver, refusing, deadlines, limit=300 + outage)
        time.sleep(3)  # let any last repeat land before counting
        assert storm.process is not None
        storm.process.terminate()
        storm.process.wait(timeout=60)
        arrivals = receiver.arrivals() + refusing.arrivals()
        with session_scope(runtime.engine) as session:
            rows = session.execute(
                select(col(Notification.id), col(Notification.status), col(Obligation.due_at)).join(
                    Obligation, col(Obligation.id) == Notification.obligation_id
                )
            ).all()
        runtime.engine.dispose()
    report(fault, backend, kills, rows, arrivals, storm.readies, finished, extra)


def _values() -> set[str]:
    flags = ("--fault", "--backend", "--seed", "--outage", "--deadlines")
    return {sys.argv[sys.argv.index(f) + 1] for f in flags if f in sys.argv}


def wait_all(receiver: Receiver, refusing: Receiver, total: int, *, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if receiver.count() + refusing.count() >= total:
            return True
        time.sleep(0.1)
    return False


def report(
    fault: str,
    backend: str,
    kills: int,
    rows: Sequence[Any],
    arrivals: list[Any],
    readies: list[float],
    finished: bool,
    extra: dict[str, Any],
) -> None:
    due_of = {i: due.timestamp() for i, _, due in rows}
    copies = Counter(i for a in arrivals for i in a.ids)
    lost = [i for i in due_of if copies[i] == 0]
    duplicated = sum(n - 1 for n in copies.values() if n > 1)
    first_arrival: dict[str, float] = {}
    for a in sorted(arrivals, key=lambda a: a.at):
        for i in a.ids:
            first_arrival.setdefault(i, a.at)
    late = []
    for i, at in first_arrival.items():
        if i in due_of:
            ready = readies[max(0, bisect.bisect_right(readies, at) - 1)]
            late.append((at - max(due_of[i], ready)) * 1000)
    if "recovered_at" in extra:  # the outage's alerts: how long after it ended they arrived
        back = [at - extra["recovered_at"] for at in first_arrival.values()]
        extra["delivered_after_recovery_max_s"] = round(max(back, default=0.0), 2)
        extra.pop("recovered_at")
    unsent = sum(1 for _, status, _ in rows if status != NotificationStatus.SENT)
    late = late or [0.0]
    print(
        f"{fault} ×{kills} during a storm of {len(due_of)} deadlines ({backend}): "
        f"{len(rows)} alerts queued, {len(lost)} lost, {duplicated} duplicated (extra copies by "
        f"id), {unsent} not marked sent; lateness p50 {median(late):.0f} ms, p99 "
        f"{percentile(late, 0.99):.0f} ms, max {max(late):.0f} ms; {extra}"
    )
    figures = {
        "fault": fault,
        "kills": kills,
        "backend": backend,
        "alerts": len(rows),
        "all_arrived": finished,
        "lost": len(lost),
        "duplicated": duplicated,
        "not_marked_sent": unsent,
        "late_p50_ms": round(median(late), 1),
        "late_p99_ms": round(percentile(late, 0.99), 1),
        "late_max_ms": round(max(late), 1),
        **extra,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
