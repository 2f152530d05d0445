"""The platforms' stand-ins for the benchmarks, in a process of their own (as the platforms
are): a WeCom group bot endpoint and an Aliyun SMS gateway (`yuqing.standins`), keeping their
limits on the real clock unless told otherwise; the measuring process asks how many alerts
arrived, each message's arrival and the alert ids it carried, and every refusal by code."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(frozen=True)
class Message:
    key: str  # the bot key, or the phone
    at: float  # epoch seconds
    ids: tuple[str, ...]  # the alert ids named in it (a group message names several)


def _serve(conn: Connection, bots: list[str], sms: list[tuple[str, str]], unlimited: bool) -> None:
    from yuqing.standins import AliyunSmsStandIn, WeComStandIn

    with WeComStandIn(clock=time.time) as wecom, AliyunSmsStandIn(clock=time.time) as aliyun:
        if unlimited:
            wecom.per_minute = 1 << 30
        urls = {key: wecom.add_bot(key) for key in bots}
        for key_id, secret in sms:
            aliyun.add_account(key_id, secret, sign="网信办", template="SMS_1",
                               variables=("case", "item", "due", "link"))  # fmt: skip
            urls[key_id] = aliyun.url(key_id, template="SMS_1", sign="网信办")
        conn.send(urls)
        while (request := conn.recv()) is not None:
            with wecom.lock, aliyun.lock:
                got = [*wecom.received, *aliyun.received]
                refused = [*wecom.refused, *aliyun.refused]
            answer: Any = len(got)
            if request == "messages":
                answer = [Message(g.key, g.at, tuple(g.notification_ids)) for g in got]
            elif request == "refused":
                answer = refused
            conn.send(answer)


class Platforms:
    """The stand-ins in a child process; `urls[key]` the channel URL of each bot or account."""

    def __init__(
        self, *, bots: list[str], sms: Sequence[tuple[str, str]] = (), unlimited: bool = False
    ) -> None:
        self._conn, theirs = multiprocessing.Pipe()
        args = (theirs, bots, list(sms), unlimited)
        self._process = multiprocessing.Process(target=_serve, args=args, daemon=True)
        self.urls: dict[str, str] = {}

    def __enter__(self) -> Platforms:
        self._process.start()
        self.urls = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send(None)
        self._process.join(timeout=5)

    def messages(self) -> list[Message]:
        self._conn.send("messages")
        found: list[Message] = self._conn.recv()
        return found

    def arrivals(self) -> list[Message]:
        """Each message with its arrival time (what `bench/delivery.py` reads of a receiver)."""
        return self.messages()

    def refused(self) -> list[tuple[str, str]]:
        self._conn.send("refused")
        found: list[tuple[str, str]] = self._conn.recv()
        return found

    def count_ids(self) -> int:
        return sum(len(m.ids) for m in self.messages())

    def wait_for(self, total: int, *, limit: float) -> bool:
        """Until `total` alert ids have arrived (True) or `limit` seconds passed (False)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.count_ids() >= total:
                return True
            time.sleep(0.1)
        return self.count_ids() >= total
