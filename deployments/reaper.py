"""No process outlives the yuqing process that started it (`yuqing serve`, `yuqing worker`), even
when that one is killed with `kill -9`.

The owner marks its environment before it starts anything (`mark_children`): every process it
starts, and every process those start (Prefect's server, a worker's flow-run processes and their
supervisors), inherits the mark, which names the owner by pid and start time. Then:

- a small watchdog process (`start_watchdog`, `python -m deployments.reaper`) notices within a
  fifth of a second that its owner is gone, however it went, and ends every process that still
  carries the owner's mark; on a clean stop the owner asks it to do the same;
- the next owner of the same role and place ends the marked processes of any predecessor that
  is gone (`end_leftovers`), should a watchdog itself have been killed.

Processes are found by reading /proc/PID/environ (Linux); elsewhere there is nothing to find and
these functions do nothing. A mark is never trusted without its owner's start time, so a reused
pid is never taken for the owner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from deployments.pids import owner_alive, owner_token
from deployments.processes import end, stop_child

MARK = "YUQING_OWNER"
POLL_S = 0.2


def mark_children(role: str, place: Path) -> str:
    """Mark this process's environment; everything started from now on inherits it."""
    token = owner_token(role, place)
    os.environ[MARK] = token
    return token


def marked() -> dict[int, str]:
    """pid → mark of every process carrying one (other than this process)."""
    found: dict[int, str] = {}
    prefix = f"{MARK}=".encode()
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for variable in environ.split(b"\0"):
            if variable.startswith(prefix):
                found[pid] = variable[len(prefix) :].decode(errors="replace")
                break
    return found


def end_marked(token: str, *, grace: float = 3.0) -> list[int]:
    """End every process carrying `token`; their pids."""
    pids = [pid for pid, mark in marked().items() if mark == token]
    end(pids, grace=grace)
    return pids


def end_leftovers(role: str, place: Path) -> list[int]:
    """End the processes left by earlier owners of `role` at `place` that are gone."""
    prefix = f"{role}|{place.resolve()}|"
    pids = [
        pid
        for pid, mark in marked().items()
        if mark.startswith(prefix) and not owner_alive(mark) and mark != os.environ.get(MARK)
    ]
    end(pids)
    return pids


@dataclass
class Watchdog:
    process: subprocess.Popen[bytes]

    def finish(self, timeout: float = 5.0) -> None:
        """Ask it to end what still carries the mark and exit (a clean stop)."""
        stop_child(self.process, timeout)


def start_watchdog(token: str) -> Watchdog:
    """The watchdog for `token`'s owner (this process); it carries no mark itself."""
    env = {k: v for k, v in os.environ.items() if k != MARK}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        [sys.executable, "-m", "deployments.reaper", token],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    return Watchdog(process)


def watch(token: str) -> None:
    """The watchdog's body: wait until the owner is gone or asks, then end its marked ones."""
    asked: list[int] = []

    def finish(signum: int, _frame: FrameType | None) -> None:
        asked.append(signum)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the owner, who then asks
    while not asked and owner_alive(token):
        time.sleep(POLL_S)
    end_marked(token)


if __name__ == "__main__":  # pragma: no cover - the watchdog process
    watch(sys.argv[1])
