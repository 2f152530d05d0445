"""Fault injection for the crash tests, by environment only: `YUQING_TEST_FAULT=POINT:N` makes
the dispatcher kill its own process (SIGKILL, as `kill -9` would) the N-th time it reaches the
named point. Never set it outside tests: `yuqing serve` warns when it is set. The points:

- `claimed`: the claim has committed (alerts `sending` under this dispatcher), nothing sent;
- `sent`: a send has returned (the channel has the message), its record not yet written;
- `recorded`: a group of outcomes has committed while other sends are still in flight (a
  kill in the middle of a batch).

Reading the variable once, when the dispatcher starts, keeps it out of the hot path."""

from __future__ import annotations

import os
import signal
import threading

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
