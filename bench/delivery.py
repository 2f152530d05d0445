"""Dispatch throughput: notifications per second from the outbox through real Apprise to a local
webhook receiver, claim and record (Delivery rows, timeline entries) included; one alert per
message (no merging). Four figures per backend, in the same run and to the same receiver:

- `apprise_only` and `apprise_pooled`: the same messages sent with `notifications.channels.send`
  and no database at all, one by one and on SEND_WORKERS threads: what one Python process can
  send through Apprise, the ceiling of the dispatcher;
- `sequential`: `dispatch_pending(workers=1)`, one message at a time;
- the default `dispatch_pending` (a round claimed in one commit, sends on SEND_WORKERS threads,
  outcomes recorded a group per transaction).

The receiver (`yuqing.localservers.WebhookReceiver`) runs in its own process, as a real one
would: in this process it would compete with the dispatcher for the interpreter lock.

    uv run python bench/delivery.py [COUNT] [--backend sqlite|postgresql|both]

The final line is one JSON object (`per_s`: the default dispatcher on the first backend)."""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from multiprocessing.connection import Connection

from common import add_bench_case, database
from sqlalchemy import Engine, insert

from models.policy.states import NotificationStatus
from models.repo.directory import sync_directory
from models.store.db import make_engine, session_scope
from models.store.tables import Notification
from notifications.channels import send
from notifications.dispatch import SEND_WORKERS, dispatch_pending
from settings import Dispatch, PersonConfig, UnitConfig

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PEOPLE = 50


def fill(url: str, count: int, run: int = 0) -> None:
    """`count` pending alerts, spread over PEOPLE people; `run` keeps ids and keys apart when
    one database serves several runs."""
    engine = make_engine(url)
    people = [
        PersonConfig(id=f"p{n}", name=f"人{n}", unit="o", roles=["monitor"], channels=[f"c{n}"])
        for n in range(PEOPLE)
    ]
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=people)
        case = add_bench_case(session, at=NOW)
        rows = [
            {
                "id": f"{run:08d}-0000-0000-0000-{i:012d}",
                "key": f"r{run}k{i}",
                "case_id": case.id,
                "level": 1,
                "recipient_id": f"p{i % PEOPLE}",
                "channel": f"c{i % PEOPLE}",
                "subject": "【一级舆情】快报已超时",
                "body": f"正文 通知编号：{i}",
                "status": NotificationStatus.PENDING,
                "attempts": 0,
                "created_at": NOW,
            }
            for i in range(count)
        ]
        session.execute(insert(Notification), rows)
    engine.dispose()


def _receiver_process(conn: Connection) -> None:
    """Run a WebhookReceiver; send its port, and on any message the count of requests per
    first path segment."""
    from yuqing.localservers import WebhookReceiver

    with WebhookReceiver() as receiver:
        conn.send(receiver.port)
        while conn.recv() is not None:
            with receiver.lock:
                conn.send(Counter(r.path.split("/")[1] for r in receiver.received))


def timed(
    label: str, count: int, received: Callable[[], Counter[str]], run: Callable[[], int]
) -> float:
    began = time.perf_counter()
    sent = run()
    elapsed = time.perf_counter() - began
    got = received()[label]
    assert sent == count and got == count, (label, sent, got)
    print(f"  {label:>13}: {count} in {elapsed:.2f} s = {count / elapsed:.0f}/s")
    return count / elapsed


def dispatched(engine: Engine, urls: dict[str, str], count: int, workers: int) -> int:
    """One dispatch round over everything pending; how many alerts went out."""
    options = Dispatch(per_recipient_per_minute=1_000_000)
    result = dispatch_pending(
        engine, channel_url=urls.get, now=NOW, options=options, limit=count, workers=workers
    )
    return result.sent


def measure(
    backend: str, count: int, port: int, received: Callable[[], Counter[str]]
) -> dict[str, float]:
    figures: dict[str, float] = {}
    print(f"{backend}:")
    with database(backend) as url:
        engine = make_engine(url)

        def urls(label: str) -> dict[str, str]:
            return {f"c{n}": f"json://127.0.0.1:{port}/{label}/p{n}" for n in range(PEOPLE)}

        def apprise_only() -> int:
            targets = urls(f"{backend}-apprise")
            return sum(
                send(targets[f"c{i % PEOPLE}"], title="提醒", body=f"正文 {i}").ok
                for i in range(count)
            )

        def apprise_pooled() -> int:
            targets = urls(f"{backend}-apprise8")
            with ThreadPoolExecutor(SEND_WORKERS) as pool:
                return sum(
                    outcome.ok
                    for outcome in pool.map(
                        lambda i: send(targets[f"c{i % PEOPLE}"], title="提醒", body=f"正文 {i}"),
                        range(count),
                    )
                )

        figures["apprise_only"] = timed(f"{backend}-apprise", count, received, apprise_only)
        figures["apprise_pooled"] = timed(f"{backend}-apprise8", count, received, apprise_pooled)
        for run, (name, workers) in enumerate([("sequential", 1), ("pooled", SEND_WORKERS)], 1):
            label = f"{backend}-{name}"
            fill(url, count, run)
            run_it = partial(dispatched, engine, urls(label), count, workers)
            figures[name] = timed(label, count, received, run_it)
        engine.dispose()
    return figures


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 2000
    choice = sys.argv[sys.argv.index("--backend") + 1] if "--backend" in sys.argv else "both"
    backends = ["sqlite", "postgresql"] if choice == "both" else [choice]
    ours, theirs = multiprocessing.Pipe()
    receiver = multiprocessing.Process(target=_receiver_process, args=(theirs,), daemon=True)
    receiver.start()
    port = ours.recv()

    def received() -> Counter[str]:
        ours.send("count")
        counts: Counter[str] = ours.recv()
        return counts

    send(f"json://127.0.0.1:{port}/warmup", title="warm-up", body="loads Apprise's plugins")
    summary: dict[str, float | int] = {"notifications": count}
    try:
        for backend in backends:
            figures = measure(backend, count, port, received)
            summary[f"{backend}_per_s"] = round(figures["pooled"], 1)
            summary[f"{backend}_ms_per_notification"] = round(1000 / figures["pooled"], 3)
            summary[f"{backend}_sequential_per_s"] = round(figures["sequential"], 1)
            summary[f"{backend}_apprise_only_per_s"] = round(figures["apprise_only"], 1)
            summary[f"{backend}_apprise_pooled_per_s"] = round(figures["apprise_pooled"], 1)
    finally:
        ours.send(None)
        receiver.join(timeout=5)
    first = backends[0]
    summary["per_s"] = summary[f"{first}_per_s"]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
