"""Whether a process runs, and whether it is still the one we mean: a pid may be reused, so an
owner is named by its pid and its start time (`owner_token`). Standard library only: the serve
record, the reaper and the process ending all read it, and a command's start pays nothing."""

from __future__ import annotations

import os
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (None: no such process)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_token(role: str, place: Path, pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{role}|{place.resolve()}|{pid}|{start_ticks(pid) or '?'}"


def owner_alive(token: str) -> bool:
    *_, pid, ticks = token.split("|")
    return pid.isdigit() and start_ticks(int(pid)) == ticks
