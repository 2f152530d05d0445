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
RECORD_SECONDS, whichever comes first.

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
import math
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
from models.store.outages import database_fault
from notifications.channels import Attempt, platform_of, send
from notifications.claimed import Message
from notifications.claims import claim
from notifications.compose import compose
from notifications.delivery import Sent, Tally, record
from notifications.endpoints import Endpoints
from notifications.health import breaker_rule
from notifications.liveness import beat, forget_silent, live_claimers, new_identity, retire
from notifications.outbox.rows import next_due, release_strays, take_over
from settings import Dispatch
from settings.faults import Faults

log = logging.getLogger(__name__)
ChannelUrl = Callable[[str], str | None]
RECORD_EVERY = 32  # outcomes recorded per transaction at most ...
RECORD_SECONDS = 0.01  # ... and no outcome waits longer than this for its record
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
        loop = _Loop(self, due=due, stamp=stamp, stop=stop)
        try:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="yuqing-send") as pool:
                loop.run(pool)
        finally:
            try:
                with session_scope(self.engine) as session:
                    retire(session, me=self.me)
            except Exception as error:  # the rows are taken over after the claimer timeout
                _log_failure(error, "dispatcher %s could not sign off", self.me)
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


class _Loop:
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
            _log_failure(error, "dispatcher %s could not read the outbox", self.d.me)
            return False
        return earliest is not None and earliest <= now

    def _transaction(self, pool: ThreadPoolExecutor, *, record_now: bool, lanes: int) -> None:
        d, options = self.d, self.d.options
        now = self.due()
        mono = time.monotonic()
        takeover = mono - self.last_takeover >= options.heartbeat_seconds
        done = self.done if record_now else []
        try:
            with session_scope(d.engine) as session:
                beat(session, me=d.me, now=self.stamp(mono))
                if self.unsure:
                    release_strays(session, me=d.me, holding=self.held)
                if takeover:
                    timeout = timedelta(seconds=options.claimer_timeout_seconds)
                    live = live_claimers(now, timeout=timeout)
                    self.tally.recovered += take_over(session, live=live, now=now)
                    forget_silent(session, now=now)
                tally = record(
                    session, done, me=d.me, stamp=self.stamp, options=options, rule=d.rule
                )
                chains = (
                    claim(
                        session,
                        me=d.me,
                        now=now,
                        lanes=lanes,
                        options=options,
                        rule=d.rule,
                        endpoints=d.endpoints,
                    )
                    if lanes
                    else []
                )
        except Exception as error:
            self._failed(error)
            return
        self.last_beat = mono
        self.last_takeover = mono if takeover else self.last_takeover
        self.unsure = False
        self.tally.add(tally)
        if done:
            self.held -= {a.id for item in done for a in item.message.alerts}
            self.done = []
            if self.in_flight:
                d.faults.reached("recorded")
        if lanes:
            self.idle = not chains
            if chains:
                d.faults.reached("claimed")
        for chain in chains:
            self.held |= {a.id for message in chain for a in message.alerts}
            pool.submit(d.send_chain, chain)
            self.in_flight += len(chain)

    def _failed(self, error: BaseException) -> None:
        """A transaction failed (the database is away). A round stops claiming and, once the
        sends in flight are back, raises; a serving dispatcher keeps what it has and retries."""
        _log_failure(error, "dispatcher %s: transaction failed", self.d.me)
        self.unsure = True
        if not self.serving:
            self.error = self.error or error
            if self.in_flight == 0:
                self.done = []  # stranded `sending` rows are taken over after the timeout
            return
        time.sleep(min(1.0, self.d.options.heartbeat_seconds))


def _log_failure(error: BaseException, message: str, *args: object) -> None:
    """A database fault quietly (it is said once, where it is watched); anything else in full."""
    if database_fault(error) is not None:
        log.debug(message + ": %s", *args, error)
    else:
        log.error(message, *args, exc_info=error)


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
