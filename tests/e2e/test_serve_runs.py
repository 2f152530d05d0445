"""`yuqing serve` runs its scheduled deployments inside itself and never piles them up, and
nothing it started outlives it: the backstop sweep's runs are flow runs of the `sweep/backstop`
deployment, on time, while serve's process tree never grows beyond its Prefect server and its
watchdog (no interpreter per run); SIGTERM stops it with exit 0 and its children gone; after
`kill -9` of serve no process it started is left; a
new serve ends a process a crashed one left behind, says so, and of the runs that fell due
while it was down runs only the latest of each schedule (the older are cancelled as superseded)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from deployments.inprocess import SUPERSEDED
from deployments.pids import owner_token
from deployments.prefect_api import use_api
from deployments.reaper import MARK
from deployments.serve_record import read_serve
from tests.e2e.test_reaper import gone
from tests.e2e.test_serve import ONE_PERSON_CHANNEL, ONE_PERSON_OFFICE, children_of
from tests.support.web import free_port

YUQING = str(Path(sys.executable).with_name("yuqing"))
SWEEP_EVERY = 2


def write_config(directory: Path) -> Path:
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[web]\nport = {free_port()}\n\n'
        f"[serve]\nprefect_port = {free_port()}\n\n[sweep]\ninterval_seconds = {SWEEP_EVERY}\n\n"
        f"{ONE_PERSON_OFFICE}",
        encoding="utf-8",
    )
    (directory / "secrets.toml").write_text(ONE_PERSON_CHANNEL, encoding="utf-8")
    return config


def start(config: Path, output: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    with output.open("ab") as log:
        serve = subprocess.Popen(
            [YUQING, "--config", str(config), "serve"],
            cwd=config.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    record = config.parent / "data" / "serve.json"
    deadline = time.monotonic() + 300
    while serve.poll() is None and time.monotonic() < deadline:
        found = read_serve(config.parent / "data")
        if found is not None and found.pid == serve.pid and found.prefect_api:
            return serve
        time.sleep(0.2)
    raise AssertionError(f"serve did not come up ({record}): {output.read_text()[-2000:]}")


def prefect_api_of(data: Path) -> str:
    """The Prefect API of the serve recorded under `data` (`start` waited for it)."""
    record = read_serve(data)
    assert record is not None and record.prefect_api is not None
    return record.prefect_api


def sweep_runs(api: str) -> list[Any]:
    """[state type, state message, expected start, actual start] of the backstop sweep
    deployment's runs, oldest expected first; [] before serve registered it."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.exceptions import ObjectNotFound

    with use_api(api), get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name("sweep/backstop")
        except ObjectNotFound:
            return []
        ours = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
        runs = client.read_flow_runs(deployment_filter=ours, limit=200)
    found = [
        [
            r.state.type.value if r.state else "",
            (r.state.message or "") if r.state else "",
            r.expected_start_time.timestamp() if r.expected_start_time else 0.0,
            r.start_time.timestamp() if r.start_time else None,
        ]
        for r in runs
    ]
    return sorted(found, key=lambda r: r[2])


def wait_for(test: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not test():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_scheduled_runs_run_inside_serve_with_no_new_process(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    serve = start(config, tmp_path / "serve.log")
    try:
        api = prefect_api_of(tmp_path / "data")
        first = children_of(serve.pid)
        assert len(first) == 2  # its Prefect server and its watchdog
        seen: set[int] = set()

        def three_completed() -> bool:
            seen.update(children_of(serve.pid))
            completed: int = sum(r[0] == "COMPLETED" for r in sweep_runs(api))
            return completed >= 3

        wait_for(three_completed, 180, "three backstop sweeps")
        assert seen == first, "a scheduled run started a process"
        done = [r for r in sweep_runs(api) if r[0] == "COMPLETED"]
        lateness = [r[3] - r[2] for r in done]
        print(f"backstop sweeps started {max(lateness):.2f} s late at most")
    finally:
        stopping = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)  # a hang guard, not a speed check (bench/serve.py measures)
    print(f"serve stopped {time.monotonic() - stopping:.1f} s after SIGTERM")
    assert serve.returncode == 0
    assert all(gone(p) for p in first), "a child of serve outlived it"


def test_after_kill_9_nothing_is_left_and_a_restart_catches_up_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    output = tmp_path / "serve.log"
    serve = start(config, output)
    api = prefect_api_of(tmp_path / "data")
    wait_for(lambda: len(sweep_runs(api)) > 5, 120, "scheduled runs ahead")
    children = children_of(serve.pid)
    serve.kill()
    killed_at = time.time()
    serve.wait()
    wait_for(lambda: not [p for p in children if Path(f"/proc/{p}").exists()], 15, "children")
    # Stands in for a process a crashed serve left: it carries that serve's mark.
    crashed = owner_token("serve", tmp_path / "data", pid=serve.pid)
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], env={**os.environ, MARK: crashed}
    )
    time.sleep(3 * SWEEP_EVERY)  # runs fall due while serve is down
    down_until = time.time()
    again = start(config, output)
    try:
        assert leftover.wait(timeout=15) is not None  # ended by the new serve
        assert f"遗留的进程 1 个：[{leftover.pid}]" in output.read_text()
        api = prefect_api_of(tmp_path / "data")

        def missed() -> list[Any]:
            return [r for r in sweep_runs(api) if killed_at + 1 < r[2] < down_until]

        wait_for(lambda: all(r[0] == "CANCELLED" for r in missed()), 60, "the missed runs")
        assert len(missed()) >= 2 and {r[1] for r in missed()} == {SUPERSEDED}

        def ran() -> list[Any]:
            return [r for r in sweep_runs(api) if r[0] == "COMPLETED" and r[3] > down_until]

        wait_for(ran, 60, "a sweep after the restart")
        assert ran()[0][2] > max(r[2] for r in missed())  # only the latest due ran
    finally:
        again.send_signal(signal.SIGINT)
        again.wait(timeout=60)
        if leftover.poll() is None:
            leftover.kill()
    assert again.returncode == 0
