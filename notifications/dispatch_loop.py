"""One run of the dispatcher's loop (`notifications.dispatch`): when to wait for finished
sends, when to look for due alerts, and the transaction that beats, records what finished, takes
over from silent dispatchers and claims; the sends themselves run on the dispatcher's pool."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from models.policy.breaker import BreakerRule
from models.store.db import session_scope
from models.store.outages import database_fault
from notifications.claimed import Message
from notifications.claims import claim
from notifications.delivery import Sent, Tally, record
from notifications.endpoints import Endpoints
from notifications.liveness import beat, forget_silent, live_claimers
from notifications.outbox.rows import next_due, release_strays, take_over
from settings import Dispatch
from settings.faults import Faults


class Dispatcher(Protocol):
    """What the loop needs of its dispatcher (`notifications.dispatch.Dispatcher`)."""

    engine: Engine
    options: Dispatch
    faults: Faults
    capacity: int
    me: str
    rule: BreakerRule
    endpoints: Endpoints
    _inbox: queue.Queue[Sent | str]

    def send_chain(self, chain: list[Message]) -> None: ...


log = logging.getLogger("notifications.dispatch")  # the dispatcher's log, as before the split
RECORD_EVERY = 32  # outcomes recorded per transaction at most ...
RECORD_SECONDS = 0.01  # ... and no outcome waits longer than this for its record


class DispatchLoop:
    """The state of one run of the dispatcher loop."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        due: Callable[[], datetime],
        stamp: Callable[[float], datetime],
        stop: threading.Event | None,
    ) -> None:
        self.d, self.due, self.stamp, self.stop = dispatcher, due, stamp, stop
        self.tally = Tally()
        self.done: list[Sent] = []
        self.first_done = 0.0
        self.in_flight = 0
        self.idle = False  # the last claim found nothing to send
        self.next_look = 0.0  # monotonic: when an idle dispatcher looks again
        self.last_beat = -math.inf
        # The last takeover, on its own clock: a dispatcher busy with transactions many times
        # a second (due alerts it cannot claim while a dead claimer holds their person) still
        # takes over once a heartbeat.
        self.last_takeover = -math.inf
        self.error: BaseException | None = None
        self.held: set[str] = set()  # ids claimed and not yet recorded
        self.unsure = False  # a transaction failed: what it claimed may have committed

    @property
    def serving(self) -> bool:
        return self.stop is not None

    def run(self, pool: ThreadPoolExecutor) -> None:
        options = self.d.options
        while True:
            stopping = self.error is not None or (self.stop is not None and self.stop.is_set())
            self._collect(self._timeout(stopping))
            mono = time.monotonic()
            record_now = bool(self.done) and (
                len(self.done) >= RECORD_EVERY
                or mono - self.first_done >= RECORD_SECONDS
                or self.in_flight == 0
                or stopping
            )
            free = 0 if stopping else self.d.capacity - self.in_flight
            look = free > 0 and (record_now or not self.idle or mono >= self.next_look)
            if look and self.idle and not record_now:
                self.next_look = mono + options.poll_seconds
                look = self._anything_due()
            if record_now or look or mono - self.last_beat >= options.heartbeat_seconds:
                self._transaction(pool, record_now=record_now, lanes=free if look else 0)
            settled = self.in_flight == 0 and not self.done
            if settled and (stopping or (not self.serving and self.idle)):
                break
        if self.error is not None:
            raise self.error

    def _timeout(self, stopping: bool) -> float:
        """How long the loop may wait for finished sends before it has something to do."""
        now = time.monotonic()
        beat = self.last_beat + self.d.options.heartbeat_seconds - now
        if self.done:
            return max(0.0, min(beat, self.first_done + RECORD_SECONDS - now))
        free = self.in_flight < self.d.capacity
        if not stopping and not self.idle and free:
            return 0.0  # claim at once
        if self.in_flight == 0 and (stopping or not self.serving):
            return 0.0  # about to leave
        if self.serving and not stopping and free:
            beat = min(beat, self.next_look - now)
        return max(0.0, beat)

    def _collect(self, timeout: float) -> None:
        """Wait up to `timeout` for finished sends (or a kick), then take all that are there."""
        items: list[Sent | str] = []
        try:
            items.append(
                self.d._inbox.get(timeout=timeout) if timeout > 0 else self.d._inbox.get_nowait()
            )
            while True:
                items.append(self.d._inbox.get_nowait())
        except queue.Empty:
            pass
        for item in items:
            if isinstance(item, Sent):
                if not self.done:
                    self.first_done = time.monotonic()
                self.done.append(item)
                self.in_flight -= 1
            else:
                self.idle = False

    def _anything_due(self) -> bool:
        now = self.due()
        try:
            with session_scope(self.d.engine) as session:
                earliest = next_due(session, now=now)
        except Exception as error:
            log_failure(error, "dispatcher %s could not read the outbox", self.d.me)
            return False
        return earliest is not None and earliest <= now

    def _transaction(self, pool: ThreadPoolExecutor, *, record_now: bool, lanes: int) -> None:
        """Beat, record what finished, take over from the silent, claim; then send the claims."""
        now = self.due()
        mono = time.monotonic()
        takeover = mono - self.last_takeover >= self.d.options.heartbeat_seconds
        done = self.done if record_now else []
        try:
            with session_scope(self.d.engine) as session:
                tally, chains = self._exchange(
                    session, now, mono, done, takeover=takeover, lanes=lanes
                )
        except Exception as error:
            self._failed(error)
            return
        self.last_beat = mono
        self.last_takeover = mono if takeover else self.last_takeover
        self.unsure = False
        self.tally.add(tally)
        self._recorded(done)
        self._start(pool, chains, lanes=lanes)

    def _exchange(
        self,
        session: Session,
        now: datetime,
        mono: float,
        done: list[Sent],
        *,
        takeover: bool,
        lanes: int,
    ) -> tuple[Tally, list[list[Message]]]:
        """One transaction's statements: the outcomes recorded and the chains claimed."""
        d, options = self.d, self.d.options
        beat(session, me=d.me, now=self.stamp(mono))
        if self.unsure:
            release_strays(session, me=d.me, holding=self.held)
        if takeover:
            timeout = timedelta(seconds=options.claimer_timeout_seconds)
            live = live_claimers(now, timeout=timeout)
            self.tally.recovered += take_over(session, live=live, now=now)
            forget_silent(session, now=now)
        tally = record(session, done, me=d.me, stamp=self.stamp, options=options, rule=d.rule)
        if not lanes:
            return tally, []
        chains = claim(
            session,
            me=d.me,
            now=now,
            lanes=lanes,
            options=options,
            rule=d.rule,
            endpoints=d.endpoints,
        )
        return tally, chains

    def _recorded(self, done: list[Sent]) -> None:
        """The outcomes just recorded are no longer held."""
        if done:
            self.held -= {a.id for item in done for a in item.message.alerts}
            self.done = []
            if self.in_flight:
                self.d.faults.reached("recorded")

    def _start(self, pool: ThreadPoolExecutor, chains: list[list[Message]], *, lanes: int) -> None:
        """Hand each person's claimed chain to a sender."""
        if lanes:
            self.idle = not chains
            if chains:
                self.d.faults.reached("claimed")
        for chain in chains:
            self.held |= {a.id for message in chain for a in message.alerts}
            pool.submit(self.d.send_chain, chain)
            self.in_flight += len(chain)

    def _failed(self, error: BaseException) -> None:
        """A transaction failed (the database is away). A round stops claiming and, once the
        sends in flight are back, raises; a serving dispatcher keeps what it has and retries."""
        log_failure(error, "dispatcher %s: transaction failed", self.d.me)
        self.unsure = True
        if not self.serving:
            self.error = self.error or error
            if self.in_flight == 0:
                self.done = []  # stranded `sending` rows are taken over after the timeout
            return
        time.sleep(min(1.0, self.d.options.heartbeat_seconds))


def log_failure(error: BaseException, message: str, *args: object) -> None:
    """A database fault quietly (it is said once, where it is watched); anything else in full."""
    if database_fault(error) is not None:
        log.debug(message + ": %s", *args, error)
    else:
        log.error(message, *args, exc_info=error)
