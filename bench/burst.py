"""A storm: 1,000 一级 deadlines due in the same second, served by the real `yuqing serve`
(started, and idle, before the first is due), each lapse alerting one person (50 people, 20
each: within the per-person rate, so one alert per message), through real Apprise to a webhook
receiver in its own process. Latency = arrival − due time, per alert: p50, p99, max.

In the same run, to the same receiver: Prometheus Alertmanager (when `bench/setup-peers` has
installed it), fed the same 1,000 alerts in one request the moment they are due (one group per
alert, `group_wait` 0); and raw Apprise sending 1,000 messages on 16 threads from the moment
they are due (no database: the floor of sending this many from one Python process).

The storm's parts: due → first attempt, from serve's own record (the sweep writing the lapses
and their outbox rows, batch by batch, then the claim); the same serve sending 1,000 alerts
written to the outbox in one commit, as a set-based sweep would (the dispatch side alone); and
the sweep alone on the same 1,000 deadlines in this process (`tasks.escalation.sweep`, no
dispatch beside it): its cost per lapse.

Then the group storm (`bench/group_storm.py`): 1,000 lapses to 200 people sharing 10 WeCom
group bots (20 a minute each) plus personal SMS, against the platforms' stand-ins: seconds
until every person has been told of every lapse, the platforms' refusals, and the floor the
limits allow.

    uv run python bench/burst.py [--backend sqlite|postgresql] [--processes N]
                                 [--only webhook|group] [--lapses N]

`--lapses N` runs both storms with N lapses instead of 1,000 (a smoke run).

The final line is one JSON object."""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import group_storm
from common import database, median, percentile
from peers import Receiver, alertmanager, apprise_pool, post_alerts
from serving import add_deadlines, serving, set_due, write_serve_config
from sqlalchemy import Engine, func, select

from models.policy.clocks import utc_now
from models.store.db import session_scope
from models.store.tables import Delivery, Notification
from tasks.escalation import sweep
from tasks.runtime import context_for, prepare
from tests.support.outbox import add_people, fill_outbox

PEOPLE = [f"p{n:02d}" for n in range(50)]
OTHERS = [f"q{n:02d}" for n in range(50)]  # the dispatch-only storm's people (own rate budgets)
DEADLINES = 1000


def figures(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
    }


def show(label: str, latencies: list[float]) -> None:
    f = figures(latencies)
    print(
        f"  {label}: {len(latencies)} alerts, p50 {f['p50_ms']:.0f} ms, "
        f"p99 {f['p99_ms']:.0f} ms, max {f['max_ms']:.0f} ms"
    )


def storm(url: str, receiver: Receiver, directory: Path, processes: int) -> dict[str, float]:
    urls = {f"{p}_hook": receiver.url(f"/yq/{p}") for p in [*PEOPLE, *OTHERS]}
    config = write_serve_config(
        directory, database_url=url, channel_urls=urls, dispatch_toml=f"processes = {processes}"
    )
    runtime = prepare(str(config))
    owners = [PEOPLE[n % len(PEOPLE)] for n in range(DEADLINES)]
    ids = add_deadlines(runtime.engine, owners, title="风暴")
    with serving(config):
        due = datetime.fromtimestamp(int(time.time()) + 5, tz=UTC)  # a whole second, idle serve
        set_due(runtime.engine, dict.fromkeys(ids, due))
        watch = Timeline(runtime.engine, receiver, due.timestamp())
        arrived = receiver.wait_for(DEADLINES, limit=600)
        watch.stop()
        dispatch_only = outbox_storm(runtime.engine, receiver)
    latencies = [
        (a.at - due.timestamp()) * 1000
        for a in receiver.arrivals()
        if a.path.startswith("/yq/p")
        for _ in a.ids
    ]
    assert arrived and len(latencies) == DEADLINES, f"{len(latencies)} of {DEADLINES} arrived"
    show("yuqing serve", latencies)
    result = {f"yuqing_{k}": v for k, v in figures(latencies).items()}
    with session_scope(runtime.engine) as session:
        first = session.execute(
            select(func.min(Delivery.at))
            .join(Notification, Notification.id == Delivery.notification_id)  # type: ignore[arg-type]
            .where(Notification.obligation_id.is_not(None))  # type: ignore[union-attr]
            .group_by(Delivery.notification_id)
        ).scalars()
        waits = [(at - due).total_seconds() * 1000 for at in first]
    assert len(waits) == DEADLINES
    show("  due → first attempt (sweep, outbox, claim)", waits)
    result |= {f"due_to_first_attempt_{k}": v for k, v in figures(waits).items()}
    show("the same storm's 1,000 outbox rows written at once (no sweep), same serve", dispatch_only)
    result |= {f"outbox_only_{k}": v for k, v in figures(dispatch_only).items()}
    runtime.engine.dispose()
    return result


class Timeline:
    """Every second after the due time: outbox rows committed (the sweep's progress) and
    alerts arrived (the dispatcher's), printed when the storm is over."""

    def __init__(self, engine: Engine, receiver: Receiver, due: float) -> None:
        self.engine, self.receiver, self.due = engine, receiver, due
        self.points: list[tuple[float, int, int]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(1.0):
            with session_scope(self.engine) as session:
                queued = session.execute(
                    select(func.count()).select_from(Notification)
                ).scalar_one()
            self.points.append((time.time() - self.due, int(queued), self.receiver.count()))

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
        steps = [p for p in self.points if p[0] >= 0]
        print("    seconds after due: outbox rows written / alerts arrived")
        print(
            "    "
            + ", ".join(f"{t:.0f}s {q}/{a}" for t, q, a in steps[:: max(1, len(steps) // 12)])
        )


def outbox_storm(engine: Engine, receiver: Receiver) -> list[float]:
    """What the dispatch side does with a storm once the sweep has written it: 1,000 alerts
    to 50 other people committed at one moment (as a set-based sweep would), latency from
    that moment."""
    at = int(time.time()) + 2
    time.sleep(at - time.time())
    fill_outbox(engine, OTHERS, DEADLINES, at=datetime.fromtimestamp(at, tz=UTC), run=9)
    assert receiver.wait_for(2 * DEADLINES, limit=600), "the outbox storm did not arrive"
    return [
        (a.at - at) * 1000 for a in receiver.arrivals() if a.path.startswith("/yq/q") for _ in a.ids
    ]


def sweep_alone(backend: str) -> float:
    """ms per lapse of the sweep alone (every batch, no dispatch) on 1,000 due deadlines."""
    with database(backend) as url, tempfile.TemporaryDirectory() as directory:
        config = write_serve_config(Path(directory), database_url=url, channel_urls={})
        runtime = prepare(str(config))
        add_people(runtime.engine, PEOPLE)
        owners = [PEOPLE[n % len(PEOPLE)] for n in range(DEADLINES)]
        due = utc_now() - timedelta(seconds=1)
        set_due(
            runtime.engine, dict.fromkeys(add_deadlines(runtime.engine, owners, title="s"), due)
        )
        began = time.perf_counter()
        done = sweep(
            runtime.engine,
            now=utc_now(),
            ctx=context_for(runtime),
            batch_size=runtime.settings.sweep.batch_size,
        )
        elapsed = time.perf_counter() - began
        runtime.engine.dispose()
    assert done["levels_fired"] == DEADLINES
    per_lapse = elapsed * 1000 / DEADLINES
    print(f"  sweep alone: {DEADLINES} lapses in {elapsed:.2f} s = {per_lapse:.1f} ms per lapse")
    return per_lapse


def peers(receiver: Receiver) -> dict[str, float]:
    result: dict[str, float] = {}
    at = int(time.time()) + 2
    time.sleep(at - time.time())
    urls = [receiver.url(f"/raw/p{n % len(PEOPLE)}") for n in range(DEADLINES)]
    assert apprise_pool(urls, workers=16, tag="bbbb0001") == DEADLINES
    assert receiver.wait_for(3 * DEADLINES, limit=120)
    raw = [(a.at - at) * 1000 for a in receiver.arrivals() if a.path.startswith("/raw/")]
    show("raw Apprise, 16 threads", raw)
    result |= {f"apprise_{k}": v for k, v in figures(raw).items()}
    with alertmanager(f"http://127.0.0.1:{receiver.port}/am") as api:
        if api is None:
            print("  Alertmanager: not installed (sh bench/setup-peers)")
            return result
        at = int(time.time()) + 2
        time.sleep(at - time.time())
        post_alerts(api, [f"am{n}" for n in range(DEADLINES)])
        assert receiver.wait_for(4 * DEADLINES, limit=300), "Alertmanager lost alerts"
        am = [(a.at - at) * 1000 for a in receiver.arrivals() if a.path == "/am" for _ in a.ids]
    show("Alertmanager, one group per alert", am)
    return result | {f"alertmanager_{k}": v for k, v in figures(am).items()}


def option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    global DEADLINES
    backend = option("--backend", "sqlite")
    processes = int(option("--processes", "1"))
    only = option("--only", "")
    DEADLINES = group_storm.LAPSES = int(option("--lapses", str(DEADLINES)))
    summary: dict[str, float | int | str] = {"alerts": DEADLINES, "backend": backend}
    if only != "group":
        print(f"{DEADLINES} deadlines due in one second, {backend}, {processes} dispatcher(s):")
        with Receiver() as receiver, database(backend) as url, tempfile.TemporaryDirectory() as d:
            summary |= storm(url, receiver, Path(d), processes)
            summary |= peers(receiver)
        summary["sweep_ms_per_lapse"] = round(sweep_alone(backend), 2)
    if only != "webhook":
        with database(backend) as url, tempfile.TemporaryDirectory() as d:
            summary |= group_storm.group_storm(url, Path(d))
    if "alertmanager_p99_ms" in summary:
        ratio = float(summary["yuqing_p99_ms"]) / max(1.0, float(summary["alertmanager_p99_ms"]))
        summary["p99_ratio_to_alertmanager"] = round(ratio, 2)
        print(f"p99 yuqing / Alertmanager: {ratio:.2f} (target ≤ 2, and p99 ≤ 2,000 ms)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
