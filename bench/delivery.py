"""Sustained delivery: notifications per second from the outbox to a local webhook receiver,
through real Apprise, with 1, 2 and 4 real dispatcher processes (`python -m
deployments.dispatcher`, what `yuqing serve` runs with `dispatch.processes`), claim and record
(Delivery rows, timeline entries, channel health) included; one alert per message (no
merging), spread over PEOPLE people. In the same run, to the same receiver (its own process):
raw Apprise (`notifications.channels.send`, no database) sequential and on 16 threads in one
process, and Prometheus Alertmanager (when `bench/setup-peers` has installed it) fed the same
number of alerts in one request, one group per alert, `group_wait` 0.

The IM path beside it, in the same run: the same alerts to 50 WeCom group bots (one per
person) on the WeCom stand-in in its own process, through yuqing's own Apprise plugin (httpx,
kept-alive connections, the platform's errcode read), one dispatcher process, each bot's limit
raised out of the way (`[dispatch.limits]`; the stand-in's too) so the path itself is measured.

Each dispatcher run starts its processes on an empty outbox, waits until all of them beat (so
their start-up, ~6 s of imports here, is not measured), then commits COUNT alerts at once; the
rate is COUNT over the time from that commit to the last arrival. Also printed: the
dispatchers' CPU per notification (user + system, from /proc).

    uv run python bench/delivery.py [COUNT] [--backend sqlite|postgresql|both]

The final line is one JSON object."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import database
from peers import Receiver, alertmanager, apprise_pool, post_alerts
from platform_peer import Platforms
from sqlalchemy import func, select
from sqlmodel import col

from models.policy.clocks import utc_now
from models.store.db import make_engine, session_scope
from models.store.tables import Dispatcher
from tests.support.configs import write_dispatch_config
from tests.support.outbox import add_people, fill_outbox

PEOPLE = [f"p{n:02d}" for n in range(50)]
PROCESSES = (1, 2, 4)
DISPATCH = "per_recipient_per_minute = 1000000\npoll_seconds = 0.02\n"
REPO = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def dispatchers(config: Path, n: int) -> list[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if k != "YUQING_TEST_FAULT"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "deployments.dispatcher", str(config)],
            cwd=config.parent,
            env={**env, "PYTHONPATH": str(REPO)},
        )
        for _ in range(n)
    ]


def beating(url: str, pids: list[int]) -> bool:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            found = session.execute(
                select(func.count()).select_from(Dispatcher).where(col(Dispatcher.pid).in_(pids))
            ).scalar_one()
        return int(found) == len(pids)
    finally:
        engine.dispose()


def run_dispatchers(
    url: str,
    config: Path,
    receiver: Receiver | Platforms,
    count: int,
    n: int,
    run: int,
    expected: int,
) -> tuple[float, float]:
    """(notifications per second, dispatcher CPU ms per notification) with `n` processes."""
    processes = dispatchers(config, n)
    try:
        deadline = time.monotonic() + 180
        while not beating(url, [p.pid for p in processes]) and time.monotonic() < deadline:
            time.sleep(0.2)
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        engine = make_engine(url)
        began = time.time()
        fill_outbox(engine, PEOPLE, count, at=utc_now() - timedelta(seconds=1), run=run)
        engine.dispose()
        assert receiver.wait_for(expected, limit=600), f"{n} processes: not all arrived"
        last = max(a.at for a in receiver.arrivals())
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    return count / (last - began), cpu * 1000 / count


def peers(receiver: Receiver, count: int, received: int) -> tuple[dict[str, float], int]:
    """Raw Apprise (sequential, 16 threads) and Alertmanager to the same receiver."""
    figures: dict[str, float] = {}
    for name, workers, tag, defaults in (
        ("apprise_sequential", 1, "aaaa0001", False),
        ("apprise_pooled", 16, "aaaa0002", False),
        ("apprise_defaults_pooled", 16, "aaaa0003", True),
    ):
        urls = [receiver.url(f"/{tag}/p{n % len(PEOPLE)}") for n in range(count)]
        began = time.time()
        sent = apprise_pool(urls, workers=workers, tag=tag, apprise_defaults=defaults)
        assert sent == count
        received += count
        assert receiver.wait_for(received, limit=120)
        figures[name] = count / (max(a.at for a in receiver.arrivals()) - began)
        how = "Apprise's own executor" if defaults else "inline, as yuqing sends"
        print(f"  raw Apprise, {workers:>2} thread(s), {how}: {figures[name]:7.0f}/s")
    with alertmanager(f"http://127.0.0.1:{receiver.port}/am") as api:
        if api is None:
            print("  Alertmanager: not installed (sh bench/setup-peers)")
            return figures, received
        began = time.time()
        post_alerts(api, [f"am{n}" for n in range(count)])
        received += count
        if receiver.wait_for(received, limit=300):
            figures["alertmanager"] = count / (max(a.at for a in receiver.arrivals()) - began)
            print(f"  Alertmanager (one group per alert): {figures['alertmanager']:7.0f}/s")
    return figures, received


def im_path(url: str, count: int, run: int) -> tuple[float, float]:
    """(notifications per second, CPU ms per notification): one dispatcher process sending to
    the WeCom stand-in, one group bot per person, limits out of the way."""
    raised = "".join(
        f"\n[dispatch.limits.{p}_hook]\nper_second = 10000\nper_minute = 100000\n" for p in PEOPLE
    )
    with (
        Platforms(bots=[f"bot{p}" for p in PEOPLE], unlimited=True) as platforms,
        tempfile.TemporaryDirectory() as directory,
    ):
        urls = {f"{p}_hook": platforms.urls[f"bot{p}"] for p in PEOPLE}
        config = write_dispatch_config(
            Path(directory), database_url=url, channel_urls=urls, dispatch_toml=DISPATCH + raised
        )
        rate, cpu = run_dispatchers(url, config, platforms, count, 1, run, count)
        assert platforms.refused() == [], "the WeCom stand-in refused messages"
    return rate, cpu


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 2000
    choice = sys.argv[sys.argv.index("--backend") + 1] if "--backend" in sys.argv else "both"
    backends = ["sqlite", "postgresql"] if choice == "both" else [choice]
    summary: dict[str, float | int] = {"notifications": count, "cores": os.cpu_count() or 0}
    with Receiver() as receiver:
        print(f"{count} notifications to {len(PEOPLE)} people, receiver in its own process:")
        figures, received = peers(receiver, count, 0)
        summary |= {f"{k}_per_s": round(v, 1) for k, v in figures.items()}
        best = 0.0
        for backend in backends:
            with database(backend) as url, tempfile.TemporaryDirectory() as directory:
                urls = {f"{p}_hook": receiver.url(f"/{backend}/{p}") for p in PEOPLE}
                config = write_dispatch_config(
                    Path(directory), database_url=url, channel_urls=urls, dispatch_toml=DISPATCH
                )
                engine = make_engine(url)
                add_people(engine, PEOPLE)
                engine.dispose()
                for run, n in enumerate(PROCESSES, start=1):
                    received += count
                    rate, cpu_ms = run_dispatchers(url, config, receiver, count, n, run, received)
                    best = max(best, rate)
                    print(
                        f"  {backend}, {n} dispatcher process(es): {rate:7.0f}/s, "
                        f"{cpu_ms:.2f} ms CPU per notification"
                    )
                    summary[f"{backend}_{n}proc_per_s"] = round(rate, 1)
                    summary[f"{backend}_{n}proc_cpu_ms_per_notification"] = round(cpu_ms, 3)
                rate, cpu_ms = im_path(url, count, len(PROCESSES) + 1)
                print(
                    f"  {backend}, IM path (WeCom stand-in, 1 process): {rate:7.0f}/s, "
                    f"{cpu_ms:.2f} ms CPU per notification"
                )
                summary[f"{backend}_im_1proc_per_s"] = round(rate, 1)
                summary[f"{backend}_im_1proc_cpu_ms_per_notification"] = round(cpu_ms, 3)
    summary["per_s"] = round(best, 1)
    if "alertmanager_per_s" in summary:
        summary["ratio_to_alertmanager"] = round(best / float(summary["alertmanager_per_s"]), 3)
        print(
            f"best yuqing / Alertmanager: {summary['ratio_to_alertmanager']:.2f} "
            "(target ≥ 1.0 and ≥ 1,000/s)"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
