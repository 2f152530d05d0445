"""Escalation latency in steady operation: 1,000 一级 deadlines lapsing over 60 s, served by the
real `yuqing serve`, started and idle before the first one is due (its start-up is not what is
measured), through real Apprise to a webhook receiver in its own process. Each lapse alerts
three people (the deadline's owner, the leader in charge and the duty officer, as the default
chain's level 1 does), so 3,000 alerts; the per-person rate limit is lifted (one alert per
message). Latency = arrival − due time, per alert: p50, p99, max.

    uv run python bench/latency.py [DEADLINES] [SPREAD_SECONDS] [--backend sqlite|postgresql]
                                   [--processes N]

The final line is one JSON object."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import database, median, percentile
from peers import Receiver
from serving import add_deadlines, serving, set_due, write_serve_config
from sqlalchemy import func, select
from sqlmodel import col

from models.store.db import session_scope
from models.store.tables import Delivery, Notification, Obligation
from tasks.runtime import prepare

OWNERS = [f"p{n:02d}" for n in range(48)]
LEADER, DUTY = "p48", "p49"


def main() -> None:
    args = [a for a in sys.argv[1:] if a.isdigit() or a.replace(".", "", 1).isdigit()]
    if "--processes" in sys.argv:
        args.remove(sys.argv[sys.argv.index("--processes") + 1])
    count = int(args[0]) if args else 1000
    spread = float(args[1]) if len(args) > 1 else 60.0
    backend = sys.argv[sys.argv.index("--backend") + 1] if "--backend" in sys.argv else "sqlite"
    processes = int(sys.argv[sys.argv.index("--processes") + 1]) if "--processes" in sys.argv else 1
    with Receiver() as receiver, database(backend) as url, tempfile.TemporaryDirectory() as d:
        people = [*OWNERS, LEADER, DUTY]
        config = write_serve_config(
            Path(d),
            database_url=url,
            channel_urls={f"{p}_hook": receiver.url(f"/{p}") for p in people},
            dispatch_toml=f"per_recipient_per_minute = 1000000\nprocesses = {processes}",
            roles={LEADER: ["leader_in_charge"], DUTY: ["duty_officer"]},
        )
        runtime = prepare(str(config))
        ids = add_deadlines(
            runtime.engine, [OWNERS[n % len(OWNERS)] for n in range(count)], title="延迟"
        )
        with serving(config):
            first = datetime.fromtimestamp(int(time.time()) + 5, tz=UTC)
            due = {i: first + timedelta(seconds=spread * n / count) for n, i in enumerate(ids)}
            set_due(runtime.engine, due)
            arrived = receiver.wait_for(3 * count, limit=spread + 120)
        arrivals = receiver.arrivals()
        with session_scope(runtime.engine) as session:
            rows = session.execute(
                select(
                    col(Notification.id),
                    col(Obligation.due_at),
                    col(Notification.created_at),
                    func.min(Delivery.at),
                )
                .join(Obligation, col(Obligation.id) == Notification.obligation_id)
                .join(Delivery, col(Delivery.notification_id) == Notification.id)
                .group_by(
                    col(Notification.id), col(Obligation.due_at), col(Notification.created_at)
                )
            ).all()
        runtime.engine.dispose()
    due_of = {i: due.timestamp() for i, due, _, _ in rows}
    latencies = [(a.at - due_of[i]) * 1000 for a in arrivals for i in a.ids if i in due_of]
    arrived_at = {i: a.at for a in arrivals for i in a.ids}
    parts = {
        "due → queued by the sweep": [(q - d).total_seconds() * 1000 for _, d, q, _ in rows],
        "queued → first attempt": [(f - q).total_seconds() * 1000 for _, _, q, f in rows],
        "first attempt → arrival": [
            (arrived_at[i] - f.timestamp()) * 1000 for i, _, _, f in rows if i in arrived_at
        ],
    }
    for name, values in parts.items():
        print(f"  {name}: p50 {median(values):.0f} ms, p99 {percentile(values, 0.99):.0f} ms")
    assert arrived and len(latencies) == 3 * count, f"{len(latencies)} of {3 * count} arrived"
    p50, p99, worst = median(latencies), percentile(latencies, 0.99), max(latencies)
    print(
        f"{len(latencies)} level-1 alerts of {count} deadlines over {spread:.0f} s ({backend}, "
        f"serve up before the first was due): p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
        f"max {worst:.0f} ms (target p99 ≤ 1,000 ms)"
    )
    print(
        json.dumps(
            {
                "alerts": len(latencies),
                "backend": backend,
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
                "max_ms": round(worst, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
