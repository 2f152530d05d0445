"""Fault injection for tests, switched on from outside the process: when the environment names a
file in `YUQING_FAULTS_FILE`, a step calls `inject("name")` at a named point and raises
`InjectedFault` while that file lists the name (one per line). A test writes the file to make a
step fail in a real running process (serve, a worker), then removes the line to let a re-run
succeed. Unset (always, outside tests), `inject` does nothing."""

from __future__ import annotations

import os
from pathlib import Path

FAULTS_ENV = "YUQING_FAULTS_FILE"


class InjectedFault(RuntimeError):
    """Raised at a named point because the test's fault file lists it."""


def inject(point: str) -> None:
    path = os.environ.get(FAULTS_ENV)
    if not path:
        return
    try:
        names = Path(path).read_text(encoding="utf-8").split()
    except OSError:
        return
    if point in names:
        raise InjectedFault(f"injected fault at {point}")
