"""Operating `yuqing serve`, against Prefect's own `serve()` as the baseline in the same run.

For each, the backstop sweep runs every 2 s for WINDOW seconds (the same flow, the same
config): the flow-run processes it started (sampled every 0.1 s), their peak RSS, serve's own
peak RSS, and how late the scheduled runs started (Prefect's expected start to actual start).
Then yuqing serve's stop: seconds from SIGTERM, and from SIGINT, until serve and every process it
started are gone (target: 10 s); and after `kill -9`, the processes it started still running a
second later (target: none), and whether the next start ends a leftover a crashed serve left.

    uv run python bench/serve.py [WINDOW_SECONDS]

The final line is one JSON object."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import median, percentile, rss_mb
from serving import DESK_SECRET, DESK_TOML

from deployments.pids import owner_token
from deployments.prefect_api import use_api
from deployments.reaper import MARK
from deployments.serve_record import read_serve
from tests.support.web import free_port

YUQING = str(Path(sys.executable).with_name("yuqing"))
EVERY = 2
BASELINE = """
import sys
from pathlib import Path
from deployments.local_server import start_server
from deployments.prefect_api import use_api
server = start_server(Path(sys.argv[1]), port=int(sys.argv[2]), services=True)
Path(sys.argv[4]).write_text(server.url)
with use_api(server.url):
    from prefect import serve
    from flows.sweep import sweep
    serve(sweep.to_deployment(name="backstop", interval=2, parameters={"config": sys.argv[3]}))
"""


def descendants(pid: int) -> dict[int, str]:
    """pid → command line of every descendant of `pid`."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = set[int](), {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - found
        found |= frontier
    lines = {}
    for child in found:
        with contextlib.suppress(OSError):
            lines[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return lines


class Watch(threading.Thread):
    """Every 0.1 s: the flow-run processes under `pid` and the RSS of `pid` and of those."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.runs: set[int] = set()
        self.peak, self.run_peak = 0.0, 0.0

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, rss_mb(self.pid))
            for child, line in descendants(self.pid).items():
                if "prefect.engine" in line or "flow_engine" in line or "spawn_main" in line:
                    self.runs.add(child)
                    self.run_peak = max(self.run_peak, rss_mb(child))


def runs_of(api: str, until: float) -> tuple[list[float], int]:
    """(seconds late of every started run, runs due by `until` not started) of the
    `sweep/backstop` deployment."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with use_api(api), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("sweep/backstop")
        ours = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
        runs = client.read_flow_runs(deployment_filter=ours, limit=200)
    late = [
        (r.start_time - r.expected_start_time).total_seconds()
        for r in runs
        if r.start_time and r.expected_start_time
    ]
    waiting = [
        r
        for r in runs
        if not r.start_time
        and r.expected_start_time
        and r.expected_start_time.timestamp() < until
        and r.state is not None
        and not r.state.is_final()
    ]
    return late, len(waiting)


def write_config(directory: Path) -> Path:
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[web]\nport = {free_port()}\n\n'
        f"[serve]\nprefect_port = {free_port()}\n\n[sweep]\ninterval_seconds = {EVERY}\n\n"
        f"{DESK_TOML}",
        encoding="utf-8",
    )
    (directory / "secrets.toml").write_text(DESK_SECRET, encoding="utf-8")
    return config


def child_env() -> dict[str, str]:
    """This environment without a Prefect API, and with bytecode caching: with
    PYTHONDONTWRITEBYTECODE set every new interpreter recompiles Prefect's imports (~6.5 s),
    which would count against the baseline's process per run."""
    drop = ("PREFECT_API", "PYTHONDONTWRITEBYTECODE")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def start_serve(config: Path) -> tuple[subprocess.Popen[bytes], float]:
    env = child_env()
    began = time.monotonic()
    serve = subprocess.Popen(
        [YUQING, "--config", str(config), "serve"],
        cwd=config.parent,
        env=env,
        stdout=(config.parent / "serve.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    while True:
        found = read_serve(config.parent / "data")
        if found is not None and found.pid == serve.pid and found.prefect_api:
            return serve, time.monotonic() - began
        assert serve.poll() is None and time.monotonic() - began < 600, "serve did not start"
        time.sleep(0.05)


def stop_time(serve: subprocess.Popen[bytes], signum: int, *, cap: float = 60) -> float:
    """Seconds from `signum` until serve and every process it started are gone; `cap` when
    that takes longer (then they are killed)."""
    started = set(descendants(serve.pid))
    began = time.monotonic()
    serve.send_signal(signum)
    try:
        serve.wait(timeout=cap)
        while [p for p in started if _running(p)] and time.monotonic() - began < cap:
            time.sleep(0.02)
    except subprocess.TimeoutExpired:
        pass
    took = time.monotonic() - began
    if took >= cap:
        for pid in started | set(descendants(serve.pid)) | {serve.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        serve.wait()
        return cap
    return took


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ours(directory: Path, window: float) -> dict[str, Any]:
    config = write_config(directory)
    serve, first_start = start_serve(config)
    watch = Watch(serve.pid)
    watch.start()
    time.sleep(window)
    watch.stop.set()
    record = read_serve(directory / "data")
    assert record is not None and record.prefect_api is not None
    api = record.prefect_api
    late, waiting = runs_of(api, time.time())
    by_term = stop_time(serve, signal.SIGTERM)
    serve, warm_start = start_serve(config)
    by_int = stop_time(serve, signal.SIGINT)
    serve, _ = start_serve(config)
    started = set(descendants(serve.pid))
    serve.kill()
    serve.wait()
    time.sleep(1)
    survivors = [p for p in started if _running(p)]
    crashed = owner_token("serve", directory / "data", pid=serve.pid)
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], env={**os.environ, MARK: crashed}
    )
    serve, _ = start_serve(config)
    ended = leftover.poll() is not None or _wait_gone(leftover)
    stop_time(serve, signal.SIGTERM)
    if leftover.poll() is None:
        leftover.kill()
    return {
        "first_start_s": first_start,
        "warm_start_s": warm_start,
        "runs": len(late),
        "runs_waiting": waiting,
        "run_processes": len(watch.runs),
        "run_rss_peak_mb": watch.run_peak,
        "serve_rss_peak_mb": watch.peak,
        "late_p50_s": median(late) if late else float("nan"),
        "late_p99_s": percentile(late, 0.99) if late else float("nan"),
        "stop_sigterm_s": by_term,
        "stop_sigint_s": by_int,
        "kill9_survivors": len(survivors),
        "restart_ended_leftover": ended,
    }


def _wait_gone(process: subprocess.Popen[bytes], seconds: float = 15) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def baseline(directory: Path, window: float) -> dict[str, Any]:
    config = write_config(directory)
    url_file = directory / "api.txt"
    env = child_env()
    root = str(Path(__file__).resolve().parent.parent)
    extra = [str(config), str(url_file)]
    serve = subprocess.Popen(
        [sys.executable, "-c", BASELINE, str(directory / "prefect"), str(free_port()), *extra],
        cwd=root,
        env={**env, "PYTHONPATH": root},
        stdout=(directory / "baseline.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    while not url_file.exists():
        assert serve.poll() is None, (directory / "baseline.log").read_text()
        time.sleep(0.1)
    watch = Watch(serve.pid)
    watch.start()
    time.sleep(window)
    watch.stop.set()
    late, waiting = runs_of(url_file.read_text(), time.time())
    by_term = stop_time(serve, signal.SIGTERM)
    return {
        "runs": len(late),
        "runs_waiting": waiting,
        "run_processes": len(watch.runs),
        "run_rss_peak_mb": watch.run_peak,
        "serve_rss_peak_mb": watch.peak,
        "late_p50_s": median(late) if late else float("nan"),
        "late_p99_s": percentile(late, 0.99) if late else float("nan"),
        "stop_sigterm_s": by_term,
    }


def main() -> None:
    window = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    load_before = os.getloadavg()[0]  # others on this machine slow everything down
    with tempfile.TemporaryDirectory(prefix="yq-serve-") as base:
        (Path(base) / "ours").mkdir()
        (Path(base) / "prefect").mkdir()
        mine = ours(Path(base) / "ours", window)
        theirs = baseline(Path(base) / "prefect", window)
    for label, found in (("yuqing serve", mine), ("Prefect serve()", theirs)):
        print(
            f"{label:>16}: {found['runs']} backstop runs started in {window:.0f} s "
            f"({found['runs_waiting']} due and still waiting), "
            f"{found['run_processes']} run processes (peak {found['run_rss_peak_mb']:.0f} MB), "
            f"serve peak RSS {found['serve_rss_peak_mb']:.0f} MB, late p50 "
            f"{found['late_p50_s']:.2f} s p99 {found['late_p99_s']:.2f} s, "
            f"SIGTERM to all gone {found['stop_sigterm_s']:.1f} s (60: not within 60 s)"
        )
    print(
        f"yuqing serve: start {mine['first_start_s']:.1f} s (fresh Prefect home), "
        f"{mine['warm_start_s']:.1f} s (warm); SIGINT to all gone {mine['stop_sigint_s']:.1f} s; "
        f"after kill -9: {mine['kill9_survivors']} processes left; a crashed serve's leftover "
        f"{'ended' if mine['restart_ended_leftover'] else 'NOT ended'} by the next start"
    )
    figures = {f"yuqing_{k}": round(float(v), 2) for k, v in mine.items()}
    figures |= {f"prefect_{k}": round(float(v), 2) for k, v in theirs.items()}
    figures |= {"load_avg_1m_before": round(load_before, 2)}
    figures |= {"load_avg_1m_after": round(os.getloadavg()[0], 2)}
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
