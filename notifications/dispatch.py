"""The dispatcher: sends what the outbox holds through Apprise, fast, in order per person, and
never loses or needlessly repeats an alert across crashes.

One loop per dispatcher (a process, or a thread of one), under its own identity
(`notifications.liveness`). Each of its transactions beats first, then records the sends that
finished since the last one (`notifications.delivery`: bulk Core statements), takes over rows
whose claimer is gone (at most once per heartbeat), and claims the next slice: at most one
message per person, for as many people as it has free senders plus CLAIM_AHEAD - 1 next in line
per sender (`notifications.claims`). The sends run on a pool of `workers` threads, each send
inline in its thread (Apprise's own executor is not used: `notifications.channels`), one
person's message at a time, so each person gets their alerts in order while different people are
served at once. Outcomes are recorded a group at a time: every RECORD_EVERY sends or
RECORD_SECONDS, whichever comes first (the loop: `notifications.dispatch_loop`).

After a kill, what a dispatcher held is the sends in flight (sent, or being sent, and not yet
recorded) and the few claimed next in line; those rows stay `sending` under its identity until
another dispatcher, or its own restart, sees it has stopped beating (`claimer_timeout_seconds`,
5 s by default) and puts them back, recorded as recovered: each goes out again under its own
notification id (the receiver can drop a repeat). The messages next in line were not sent: they
wait for the takeover, without a repeat; nothing else is held.

`Dispatcher.round(now)` sends everything due by `now` and returns (the sweep flow, the tests);
`Dispatcher.serve(stop)` runs until stopped, looking for due alerts every `poll_seconds` with a
cheap read, at once when kicked (the serve process's dispatch service). A serving dispatcher
rides out a database that is read-only, locked, full or gone: it keeps what it holds, tries
again each heartbeat and logs no traceback for it (serve's monitor says the database's state
once); any other error is a bug and is logged in full. A transaction cut off by the database
(a restart) may have committed or not: the next one that succeeds puts back any row still
`sending` under this dispatcher that it is not sending, so no person waits behind an alert
nobody sends."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from models.policy.clocks import utc_now
from models.policy.sending import Outcome
from models.store.db import session_scope
from notifications.channels import Attempt, platform_of, send
from notifications.claimed import Message
from notifications.compose import compose
from notifications.delivery import Sent, Tally
from notifications.dispatch_loop import DispatchLoop, log_failure
from notifications.endpoints import Endpoints
from notifications.health import breaker_rule
from notifications.liveness import new_identity, retire
from settings import Dispatch
from settings.faults import Faults

log = logging.getLogger(__name__)
ChannelUrl = Callable[[str], str | None]
CLAIM_AHEAD = 4  # messages held per sender (one being sent, the rest next in line)
KICK = "kick"


@dataclass(frozen=True)
class DispatchResult:
    sent: int
    failed: int
    recovered: int = 0
    messages: int = 0
    attempts: int = 0
    fell_over: int = 0


class Dispatcher:
    """One dispatcher: an identity, a pool of senders, and the loop that claims and records."""

    def __init__(
        self,
        engine: Engine,
        *,
        channel_url: ChannelUrl,
        options: Dispatch | None = None,
        language: str = "zh",
        workers: int | None = None,
        me: str | None = None,
    ) -> None:
        self.engine = engine
        self.channel_url = channel_url
        self.options = options or Dispatch()
        self.language = language
        self.workers = workers or self.options.workers
        # Messages held at once: those being sent and, claimed ahead, those next in line for a
        # sender (a few milliseconds away), so each transaction records and claims enough to
        # amortise it (the sends do not wait on it). A crash strands these for the claimer
        # timeout, never a duplicate: they were not sent.
        self.capacity = self.workers * CLAIM_AHEAD
        self.me = me or new_identity()
        self.rule = breaker_rule(self.options)
        self.endpoints = Endpoints(channel_url, self.options)
        self.faults = Faults()
        self._inbox: queue.Queue[Sent | str] = queue.Queue()

    def kick(self) -> None:
        """Look for due alerts now (the sweep has just queued some)."""
        self._inbox.put(KICK)

    def round(self, now: datetime) -> DispatchResult:
        """Send everything due by `now`; attempts are stamped `now` plus the time they took."""
        began = time.monotonic()

        def stamp(mono: float) -> datetime:
            return now + timedelta(seconds=mono - began)

        tally = self._run(due=lambda: now, stamp=stamp, stop=None)
        return DispatchResult(
            sent=tally.sent,
            failed=tally.failed,
            recovered=tally.recovered,
            messages=tally.messages,
            attempts=tally.attempts,
            fell_over=tally.fell_over,
        )

    def serve(self, stop: threading.Event, *, clock: Callable[[], datetime] = utc_now) -> Tally:
        """Dispatch until `stop` is set, then finish the sends in flight and record them."""

        def stamp(mono: float) -> datetime:
            return clock() - timedelta(seconds=time.monotonic() - mono)

        return self._run(due=clock, stamp=stamp, stop=stop)

    # --- the loop ---------------------------------------------------------------------------

    def _run(
        self,
        *,
        due: Callable[[], datetime],
        stamp: Callable[[float], datetime],
        stop: threading.Event | None,
    ) -> Tally:
        loop = DispatchLoop(self, due=due, stamp=stamp, stop=stop)
        try:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="yuqing-send") as pool:
                loop.run(pool)
        finally:
            try:
                with session_scope(self.engine) as session:
                    retire(session, me=self.me)
            except Exception as error:  # the rows are taken over after the claimer timeout
                log_failure(error, "dispatcher %s could not sign off", self.me)
        return loop.tally

    def send_chain(self, chain: list[Message]) -> None:
        """Send one person's claimed messages one after the other (on a pool thread), handing
        each outcome to the loop; after one that was not delivered, the rest go back unsent
        (the next claim decides again, with the channel's health as it then is)."""
        for n, message in enumerate(chain):
            attempts = self._send(message)
            self.faults.reached("sent")
            self._inbox.put(Sent(message, attempts))
            if not attempts[-1].ok:
                for rest in chain[n + 1 :]:
                    self._inbox.put(Sent(rest, ()))
                return

    def _send(self, message: Message) -> tuple[Attempt, ...]:
        try:
            url = self.channel_url(message.channel)
            platform = platform_of(url) if url else None
            title, body, envelope = compose(message, platform=platform, language=self.language)
            return send(url, title=title, body=body, attach=message.files, envelope=envelope)
        except Exception:  # a bug, not the channel: recorded as unknown, tried again later
            log.exception("send to %s failed inside yuqing", message.channel)
            return (Attempt(time.monotonic(), 0.0, Outcome.UNKNOWN, reason="发送程序内部错误"),)


def dispatch_pending(
    engine: Engine,
    *,
    channel_url: ChannelUrl,
    now: datetime,
    options: Dispatch | None = None,
    language: str = "zh",
    workers: int | None = None,
) -> DispatchResult:
    """One dispatch round, by a dispatcher of its own: send everything due by `now`."""
    dispatcher = Dispatcher(
        engine, channel_url=channel_url, options=options, language=language, workers=workers
    )
    return dispatcher.round(now)
