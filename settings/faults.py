"""Fault injection for tests, switched on from outside the process, two ways. Never set either
outside tests (`yuqing serve` warns when the kill switch is set).

A step that fails: when the environment names a
file in `YUQING_FAULTS_FILE`, a step calls `inject("name")` at a named point and raises
`InjectedFault` while that file lists the name (one per line). A test writes the file to make a
step fail in a real running process (serve, a worker), then removes the line to let a re-run
succeed. Unset (always, outside tests), `inject` does nothing.

A process that dies: `YUQING_TEST_FAULT=POINT:N` makes the dispatcher kill its own process
(SIGKILL, as `kill -9` would) the N-th time it reaches the named point (`Faults`):

- `claimed`: the claim has committed (alerts `sending` under this dispatcher), nothing sent;
- `sent`: a send has returned (the channel has the message), its record not yet written;
- `recorded`: a group of outcomes has committed while other sends are still in flight (a
  kill in the middle of a batch).

Reading the variable once, when the dispatcher starts, keeps it out of the hot path."""

from __future__ import annotations

import os
import signal
import threading
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


VARIABLE = "YUQING_TEST_FAULT"
POINTS = frozenset({"claimed", "sent", "recorded"})


class Faults:
    """The fault switch as the environment set it (inactive when unset)."""

    def __init__(self, spec: str | None = None) -> None:
        spec = os.environ.get(VARIABLE, "") if spec is None else spec
        self.point, self.remaining = "", 0
        if spec:
            point, _, count = spec.partition(":")
            if point not in POINTS or not count.isdigit() or int(count) < 1:
                raise ValueError(
                    f"{VARIABLE}={spec!r}: expected POINT:N, POINT one of {sorted(POINTS)}"
                )
            self.point, self.remaining = point, int(count)
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self.point)

    def reached(self, point: str) -> None:
        """Count a pass through `point`; at the N-th, kill this process where it stands."""
        if point != self.point:
            return
        with self._lock:
            self.remaining -= 1
            if self.remaining == 0:
                os.kill(os.getpid(), signal.SIGKILL)
