"""No process outlives the yuqing process that started it (`deployments.reaper`), with real
processes: a grandchild in a session of its own (as Prefect starts flow-run processes) ends when
its owner is killed with SIGKILL; a clean stop of the watchdog ends it too; a process left by a
dead owner is ended by the next owner of the same role and place, and a process of a living
owner, or of another place, is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deployments.pids import owner_alive, owner_token
from deployments.reaper import MARK, end_leftovers, mark_children, start_watchdog

REPO = Path(__file__).resolve().parents[2]
OWNER = """
import subprocess, sys, time
from pathlib import Path
from deployments.reaper import mark_children, start_watchdog
token = mark_children("worker", Path(sys.argv[1]))
start_watchdog(token)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                         start_new_session=True)
Path(sys.argv[2]).write_text(str(child.pid))
time.sleep(600)
"""


def gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # ended, waiting for its parent to reap it
            return True
        time.sleep(0.05)
    return False


def test_a_grandchild_in_its_own_session_ends_when_its_owner_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path), str(pid_file)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    assert not gone(child, seconds=0.5)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    assert gone(child), "the grandchild outlived its killed owner"


def test_a_clean_stop_ends_what_carries_the_mark(tmp_path: Path) -> None:
    before = os.environ.get(MARK)
    try:
        token = mark_children("serve", tmp_path)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        watchdog = start_watchdog(token)
        time.sleep(0.5)
        assert child.poll() is None
        watchdog.finish()
        assert child.wait(timeout=10) is not None
    finally:
        if before is None:
            os.environ.pop(MARK, None)
        else:
            os.environ[MARK] = before


def test_only_the_leftovers_of_a_dead_owner_at_this_place_are_ended(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    sleep = [sys.executable, "-c", "import time; time.sleep(600)"]
    mine = tmp_path / "data"
    left = subprocess.Popen(sleep, env={**os.environ, MARK: owner_token("serve", mine, dead.pid)})
    other_place = subprocess.Popen(
        sleep, env={**os.environ, MARK: owner_token("serve", tmp_path / "other", dead.pid)}
    )
    living = subprocess.Popen(sleep, env={**os.environ, MARK: owner_token("serve", mine)})
    try:
        time.sleep(0.3)  # until each has exec'd with its environment
        assert not owner_alive(owner_token("serve", mine, dead.pid))
        assert end_leftovers("serve", mine) == [left.pid]
        assert left.wait(timeout=10) is not None
        assert other_place.poll() is None and living.poll() is None
    finally:
        for process in (left, other_place, living):
            process.kill()
            process.wait()
