"""What the benchmarks measure yuqing against and with, in the same run: a webhook receiver in a
process of its own (as a real one would be: in the measuring process it would compete for the
interpreter lock), that notes when each request arrived and which alerts it carried; Debian's
Prometheus Alertmanager (`bench/setup-peers` installs it; one group per alert, `group_wait` 0)
posting to that receiver; and raw Apprise (`notifications.channels.send`, no database) on a
pool of threads."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

ALERTMANAGER = shutil.which("prometheus-alertmanager")
DESK = "/desk"  # the office desk serve needs (bench/serving.py): not measured


@dataclass(frozen=True)
class Arrival:
    path: str
    at: float  # epoch seconds
    ids: tuple[str, ...]  # yuqing notification ids, or Alertmanager alert ids (label `id`)


def _ids(body: bytes) -> tuple[str, ...]:
    from notifications.render import NOTIFICATION_ID_RE

    try:
        data = json.loads(body)
    except ValueError:
        return ()
    if isinstance(data, dict) and "alerts" in data:  # Alertmanager's webhook
        return tuple(alert["labels"].get("id", "") for alert in data["alerts"])
    message = data.get("message", "") if isinstance(data, dict) else ""
    return tuple(NOTIFICATION_ID_RE.findall(message))


def _serve_receiver(conn: Connection) -> None:
    from yuqing.localservers import WebhookReceiver

    arrivals: list[Arrival] = []  # each request parsed once, as the measurer asks
    with WebhookReceiver() as receiver:
        conn.send(receiver.port)
        while True:
            request = conn.recv()
            if request is None:
                return
            with receiver.lock:
                fresh = receiver.received[len(arrivals) :]
            arrivals.extend(Arrival(r.path, r.at, _ids(r.body)) for r in fresh if r.path != DESK)
            if request == "count":
                conn.send(sum(len(a.ids) for a in arrivals))
            elif request == "refuse":  # connections refused until "recover"
                receiver.refuse()
                conn.send(True)
            elif request == "recover":
                receiver.recover()
                conn.send(True)
            else:  # "arrivals"
                conn.send(arrivals)


class Receiver:
    """A WebhookReceiver in a child process; `count()` alerts so far, `arrivals()` each
    request with its arrival time and the alert ids it carried."""

    def __init__(self) -> None:
        self._conn, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_serve_receiver, args=(theirs,), daemon=True)

    def __enter__(self) -> Receiver:
        self._process.start()
        self.port: int = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send(None)
        self._process.join(timeout=5)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def count(self) -> int:
        self._conn.send("count")
        return int(self._conn.recv())

    def refuse(self) -> None:
        """Stop listening: every connection is refused (a channel down), until `recover()`."""
        self._conn.send("refuse")
        self._conn.recv()

    def recover(self) -> None:
        self._conn.send("recover")
        self._conn.recv()

    def arrivals(self) -> list[Arrival]:
        self._conn.send("arrivals")
        found: list[Arrival] = self._conn.recv()
        return found

    def wait_for(self, total: int, *, limit: float) -> bool:
        """Until `total` alerts have arrived (True) or `limit` seconds passed (False)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.count() >= total:
                return True
            time.sleep(0.05)
        return self.count() >= total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def alertmanager(webhook: str) -> Iterator[str | None]:
    """A private Alertmanager posting every alert as its own group to `webhook` (an http URL);
    yields its API base URL, or None when it is not installed."""
    if ALERTMANAGER is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="yuqing-am-") as directory:
        config = Path(directory) / "alertmanager.yml"
        config.write_text(
            "route:\n"
            "  receiver: hook\n"
            "  group_by: ['...']\n"  # every label set its own group: one message per alert
            "  group_wait: 0s\n"
            "  group_interval: 1m\n"
            "  repeat_interval: 1h\n"
            "receivers:\n"
            "  - name: hook\n"
            "    webhook_configs:\n"
            f"      - url: '{webhook}'\n"
            "        send_resolved: false\n",
            encoding="utf-8",
        )
        port = free_port()
        process = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={directory}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        api = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{api}/-/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            yield api
        finally:
            process.terminate()
            process.wait(timeout=10)


def post_alerts(api: str, ids: Sequence[str]) -> None:
    """Fire one alert per id (distinct labels, so one group each) in one request."""
    now = datetime.now(UTC).isoformat()
    alerts = [
        {
            "labels": {"alertname": "quick_report_overdue", "id": alert_id},
            "annotations": {"summary": "【一级舆情】快报已超时"},
            "startsAt": now,
        }
        for alert_id in ids
    ]
    httpx.post(f"{api}/api/v2/alerts", json=alerts, timeout=30).raise_for_status()


def apprise_pool(
    urls: Sequence[str], *, workers: int, tag: str, apprise_defaults: bool = False
) -> int:
    """Send one message per URL through raw Apprise on `workers` threads (no database);
    how many were delivered. Each message carries a notification id made from `tag`. As
    yuqing sends (`notifications.channels.send`: each send inline in its thread), or with
    `apprise_defaults` a plain `Apprise().notify()` (each send handed to Apprise's shared
    executor of min(32, cores + 4) threads)."""
    import threading

    import apprise  # the comparison needs Apprise as it comes, outside yuqing

    from notifications.channels import send

    mine = threading.local()  # parsed Apprise objects, per thread and URL

    def one(n: int) -> bool:
        notification_id = f"{tag}-0000-4000-8000-{n:012d}"
        body = f"第{n}条\n通知编号：{notification_id}"
        if apprise_defaults:
            cache = mine.__dict__.setdefault("cache", {})
            if urls[n] not in cache:
                cache[urls[n]] = apprise.Apprise()
                cache[urls[n]].add(urls[n])
            return bool(cache[urls[n]].notify(title="【一级舆情】快报已超时", body=body))
        return send(urls[n], title="【一级舆情】快报已超时", body=body)[-1].ok

    if workers == 1:
        return sum(one(n) for n in range(len(urls)))
    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(one, range(len(urls))))
