"""Scale-out on Prefect's workers: sweep and delivery throughput of the distributed setup with 1
and with 2 `yuqing worker`s, on PostgreSQL, in the same run (`tests.support.topology`: a Prefect
server on PostgreSQL, one `yuqing serve`, the workers; each worker runs one flow run at a time).

For each worker count: a warm-up of a few lapses starts one escalation run per worker (serve asks
the pool for them; they then linger), then BURST quick reports lapse at the same instant and the
database is sampled every 0.2 s. Sweep throughput = deadlines escalated per second, delivery
throughput = alerts delivered per second, both between the 10% and 90% marks (start-up is not
counted); and the wall time from the due instant to the last delivery. Alerts go through real
Apprise to a local receiver that answers after `--latency-ms` (a real webhook takes 50-300 ms);
the per-person rate limit is lifted so that every alert is its own message. Double fires are
counted at the end: a level fired twice for one deadline, or one notification id delivered twice.

    uv run python bench/scaleout.py [--burst 2000] [--latency-ms 20]

Target (issue 10): 2 workers >= 1.8x of 1, zero double fires. The final line is one JSON
object."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import common  # noqa: F401  (puts the repository on sys.path)
from sqlalchemy import Engine, func, insert
from sqlmodel import col, select

from models.policy import Stage
from models.policy.states import EventKind, NotificationStatus
from models.store.db import make_engine, session_scope
from models.store.tables import Case, CaseEvent, Notification, Obligation
from tests.support.outbox import open_deadline
from tests.support.postgres import PostgresAdmin, running_postgres
from tests.support.topology import Topology, topology
from yuqing.localservers import WebhookReceiver

RECIPIENTS = 3  # a quick report's level 1: owner, leader in charge, duty officer
EXTRA = "[dispatch]\nper_recipient_per_minute = 1000000\n\n"


def add_lapsing(engine: Engine, count: int, due: datetime, *, spread: float = 0.0) -> None:
    """`count` 一级 cases whose quick report falls due at `due` (+ n*`spread` seconds)."""
    with session_scope(engine) as session:
        first = (session.exec(select(func.coalesce(func.max(Case.id), 0))).one() or 0) + 1
        ids = range(first, first + count)
        session.execute(insert(Case), [_case(i, due) for i in ids])
        rows = [_quick_report(i, due + timedelta(seconds=n * spread)) for n, i in enumerate(ids)]
        session.execute(insert(Obligation), rows)


def _case(i: int, due: datetime) -> dict[str, object]:
    at = due - timedelta(minutes=30)
    return {
        "id": i,
        "title": f"扩展测试{i}",
        "stage": Stage.detected,
        "grade": "g1",
        "policy_id": "default",
        "units": [],
        "discovered_at": at,
        "created_at": at,
        "updated_at": at,
    }


def _quick_report(case_id: int, due: datetime) -> dict[str, object]:
    return open_deadline(case_id, "quick_report", due)  # only the lapses are measured


def counts(engine: Engine) -> tuple[int, int]:
    """(deadlines lapsed, notifications sent) so far."""
    with session_scope(engine) as session:
        lapsed = session.exec(
            select(func.count()).where(CaseEvent.kind == EventKind.DEADLINE_LAPSED)
        ).one()
        sent = session.exec(
            select(func.count()).where(Notification.status == NotificationStatus.SENT)
        ).one()
    return int(lapsed), int(sent)


def wait(test: Callable[[], bool], seconds: float, what: str, setup: Topology) -> None:
    deadline = time.monotonic() + seconds
    while not test():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}\n{setup.logs()}")
        time.sleep(0.2)


def running_escalations(setup: Topology) -> int:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )

    from deployments.prefect_api import use_api

    state = FlowRunFilterState(type=FlowRunFilterStateType(any_=["RUNNING"]))
    running = FlowRunFilter(state=state)
    with use_api(setup.prefect.url), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("escalate/pool")
        runs = client.read_flow_runs(flow_run_filter=running)
    return sum(r.deployment_id == deployment.id for r in runs)


def rate(samples: list[tuple[float, int]], total: int) -> tuple[float, float]:
    """(per second between the 10% and 90% marks, seconds to 100%) from (time, count)."""

    def reached(share: float) -> float:
        return next(t for t, n in samples if n >= share * total)

    return 0.8 * total / max(reached(0.9) - reached(0.1), 1e-6), reached(1.0)


def run(
    workers: int, burst: int, latency: float, admin: PostgresAdmin, base: Path
) -> dict[str, float]:
    directory = Path(tempfile.mkdtemp(prefix=f"w{workers}-", dir=base))
    with (
        WebhookReceiver() as receiver,
        topology(directory, admin, receiver, extra_toml=EXTRA) as s,
    ):
        receiver.delay = latency
        for n in range(workers):
            s.start_worker(f"w{n + 1}", limit=1)
        s.wait_for_workers(workers)
        engine = make_engine(s.database_url)
        warm = 4 * workers
        add_lapsing(engine, warm, datetime.now(UTC) + timedelta(seconds=2), spread=1.5)
        wait(lambda: counts(engine)[1] >= warm * RECIPIENTS, 300, "the warm-up", s)
        wait(lambda: running_escalations(s) >= workers, 120, "an escalation run per worker", s)
        base_lapsed, base_sent = counts(engine)
        due = datetime.now(UTC) + timedelta(seconds=3)
        add_lapsing(engine, burst, due)
        lapses: list[tuple[float, int]] = []
        sends: list[tuple[float, int]] = []
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            lapsed, sent = counts(engine)
            since_due = (datetime.now(UTC) - due).total_seconds()
            lapses.append((since_due, lapsed - base_lapsed))
            sends.append((since_due, sent - base_sent))
            if sent - base_sent >= burst * RECIPIENTS:
                break
            time.sleep(0.2)
        with session_scope(engine) as session:
            events = session.exec(
                select(CaseEvent.case_id, CaseEvent.data).where(
                    col(CaseEvent.kind) == EventKind.DEADLINE_LAPSED
                )
            ).all()
        engine.dispose()
        with receiver.lock:
            repeats = len(receiver.repeats)
    fired = Counter((case_id, data["obligation"], data["level"]) for case_id, data in events)
    sweep_rate, swept_in = rate(lapses, burst)
    send_rate, sent_in = rate(sends, burst * RECIPIENTS)
    double = sum(c - 1 for c in fired.values()) + repeats
    print(
        f"{workers} worker(s): sweep {sweep_rate:7.0f} deadlines/s (all in {swept_in:5.1f} s), "
        f"delivery {send_rate:6.0f} alerts/s (all in {sent_in:5.1f} s), double fires {double}"
    )
    return {
        "sweep_per_s": sweep_rate,
        "delivery_per_s": send_rate,
        "swept_s": swept_in,
        "delivered_s": sent_in,
        "double_fires": double,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=2000, help="deadlines lapsing at once")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="the receiver's delay")
    options = parser.parse_args()
    figures: dict[str, float] = {"burst": options.burst, "latency_ms": options.latency_ms}
    figures["load_avg_1m_before"] = round(os.getloadavg()[0], 2)  # others on this machine
    with running_postgres() as server, tempfile.TemporaryDirectory(prefix="yq-scale-") as base:
        admin = PostgresAdmin(server.url)
        try:
            latency = options.latency_ms / 1000
            found = {n: run(n, options.burst, latency, admin, Path(base)) for n in (1, 2)}
        finally:
            admin.dispose()
    for n, result in found.items():
        figures[f"w{n}_sweep_per_s"] = round(result["sweep_per_s"], 1)
        figures[f"w{n}_delivery_per_s"] = round(result["delivery_per_s"], 1)
        figures[f"w{n}_all_delivered_s"] = round(result["delivered_s"], 1)
    figures["sweep_ratio_2_over_1"] = round(found[2]["sweep_per_s"] / found[1]["sweep_per_s"], 2)
    figures["delivery_ratio_2_over_1"] = round(
        found[2]["delivery_per_s"] / found[1]["delivery_per_s"], 2
    )
    figures["double_fires"] = found[1]["double_fires"] + found[2]["double_fires"]
    print(
        f"2 workers / 1: sweep {figures['sweep_ratio_2_over_1']}x, "
        f"delivery {figures['delivery_ratio_2_over_1']}x (target 1.8x); "
        f"double fires {figures['double_fires']}"
    )
    figures["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(
        f"load average (1 min): {figures['load_avg_1m_before']} before, "
        f"{figures['load_avg_1m_after']} after ({os.cpu_count()} cores)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
