"""Fault states as plain values: a fault (the database read-only, locked, full or gone; a channel
down; the Prefect API away; a dispatcher process dead) is a state with a start and an end, and an
operator is told once at each: one line when it starts, one when it ends, never one per poll.
`FaultBoard` keeps the states open now, says those two lines through the callback it is given,
and hands a snapshot to `yuqing status`. Time is a parameter. Standard library only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Fault:
    """One open fault state: what it is (one Chinese line), since when, and what to say when it
    ends."""

    key: str  # what is at fault: "database", "prefect", "channel:wang_hook", "dispatcher:2"
    what: str
    since: datetime
    recovered: str
    kind: str = ""  # the state (read-only, gone…): a new kind is a new state, new words are not

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "what": self.what, "since": self.since.isoformat()}


def lasted(span: timedelta) -> str:
    """'61秒' / '3分5秒' / '2小时3分': how long a fault lasted."""
    seconds = max(0, round(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分{seconds}秒" if minutes else f"{seconds}秒"


class FaultBoard:
    """The fault states open now. `begin` says the first line of a state (one whose kind
    changes, e.g. read-only becoming gone, is a new state and is said again; the same state in
    other words is not); `end` says the last line, with how long it lasted; repeating either
    says nothing."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self._open: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def begin(
        self, key: str, what: str, *, now: datetime, recovered: str, kind: str | None = None
    ) -> bool:
        kind = what if kind is None else kind
        with self._lock:
            known = self._open.get(key)
            if known is not None and known.kind == kind:
                return False
            since = known.since if known is not None else now
            self._open[key] = Fault(key, what, since, recovered, kind)
        self.say(f"故障：{what}")
        return True

    def end(self, key: str, *, now: datetime) -> bool:
        with self._lock:
            fault = self._open.pop(key, None)
        if fault is None:
            return False
        self.say(f"恢复：{fault.recovered}（持续 {lasted(now - fault.since)}）")
        return True

    def end_all(
        self, prefix: str, *, now: datetime, keep: set[str] | frozenset[str] = frozenset()
    ) -> None:
        """End every open state whose key starts with `prefix` and is not in `keep`."""
        with self._lock:
            keys = [k for k in self._open if k.startswith(prefix) and k not in keep]
        for key in keys:
            self.end(key, now=now)

    def is_open(self, key: str) -> bool:
        with self._lock:
            return key in self._open

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return sorted(self._open.values(), key=lambda f: (f.since, f.key))
