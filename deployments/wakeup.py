"""The serve process's wake-up loop: instead of waiting for the next scheduled sweep, it sleeps
until the earliest due time in the database (a deadline's next check, an ack window, a retry, a case
step waiting for its flow) and acts then: it runs the `case` flow for each case with waiting steps
(what people's actions caused: the quick report, the contact sheet, the approvers' requests…), then
the escalation cycle. It looks again at least every `dispatch.wake_poll_seconds`, so work recorded
by another process (collect, the CLI) is seen within that time, and at once when this process's
console pokes it (`Waker.poke`). The scheduled sweep deployment stays as the backstop if this thread
ever stops. With `kick` (serve's dispatch service) the cycle sweeps and kicks the dispatchers, which
send on their own threads or processes while the loop sweeps on; without it, the cycle dispatches
one round itself. In the distributed setup the loop hands the escalation to the work pool (`work`);
case steps still run here, as the case flow."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.policy.clocks import utc_now
from models.repo.steps import cases_waiting, next_step_due
from models.store.db import session_scope
from tasks.escalation import Send, dispatching, kicking, next_due
from tasks.escalation import escalate as escalate_now
from tasks.runtime import Runtime, context_for

log = logging.getLogger(__name__)
Work = Callable[[datetime], bool]
MIN_PAUSE = 0.01  # seconds: a cycle that leaves work due (locked rows) does not spin


@dataclass
class Waker:
    """Stops the loop, or wakes it at once (the console after an action)."""

    stop: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)

    def poke(self, _case_id: int | None = None) -> None:
        self.wake.set()

    def halt(self) -> None:
        self.stop.set()
        self.wake.set()


def seconds_until(wake: datetime | None, *, now: datetime, poll: float) -> float:
    """How long to sleep: until `wake`, but never longer than one poll."""
    if wake is None:
        return poll
    return max(0.0, min(poll, (wake - now).total_seconds()))


def carry_out_steps(runtime: Runtime, config: str | None, *, now: datetime) -> int:
    """Run the `case` flow for every case with waiting steps; how many cases."""
    from flows.case import StepsFailed, advance_case

    with session_scope(runtime.engine) as session:
        waiting = cases_waiting(session, now=now)
    for case_id in waiting:
        try:
            advance_case(case_id, config)
        except StepsFailed as exc:  # recorded on the case: it is on the stuck list
            log.warning("%s", exc)
    return len(waiting)


def wake_loop(
    runtime: Runtime,
    config: str | None,
    waker: Waker,
    *,
    escalate: bool = True,
    clock: Callable[[], datetime] = utc_now,
    work: Work | None = None,
    kick: Callable[[], None] | None = None,
) -> None:
    """Carry out case steps and (when `escalate`) run escalation cycles as things fall due.
    `work` replaces the escalation cycle here (the distributed setup hands it to the workers);
    it returns whether it did the work (look again at once) or handed it off (look again after a
    poll, or when poked)."""
    ctx = context_for(runtime)
    options = runtime.settings.dispatch
    send = _sending(runtime, kick)
    timeout = timedelta(seconds=options.claimer_timeout_seconds)
    pause = 0.0
    while not waker.stop.is_set():
        waker.wake.wait(pause)
        waker.wake.clear()
        if waker.stop.is_set():
            return
        now = clock()
        try:
            with session_scope(runtime.engine) as session:
                due = [next_step_due(session)]
                if escalate:
                    due.append(
                        next_due(session, now=now, claimer_timeout=timeout, sends=kick is None)
                    )
            wake = min((d for d in due if d is not None), default=None)
            if wake is not None and wake <= now:
                carry_out_steps(runtime, config, now=now)
                pause = MIN_PAUSE
                if escalate and work is not None:
                    pause = MIN_PAUSE if work(now) else options.wake_poll_seconds
                elif escalate:
                    batch = runtime.settings.sweep.batch_size
                    escalate_now(runtime.engine, now=now, ctx=ctx, send=send, batch_size=batch)
                continue
            pause = seconds_until(wake, now=clock(), poll=options.wake_poll_seconds)
        except Exception:  # keep waking: the scheduled sweep is only the backstop
            log.exception("wake-up cycle failed; retrying after one poll")
            pause = options.wake_poll_seconds


def _sending(runtime: Runtime, kick: Callable[[], None] | None) -> Send:
    """serve's dispatch service sends (kick it); without one, a dispatch round here."""
    if kick is not None:
        return kicking(kick)
    return dispatching(
        runtime.engine,
        channel_url=runtime.channel_url,
        options=runtime.settings.dispatch,
        language=runtime.settings.general.language,
    )


def start_wake_thread(
    runtime: Runtime,
    config: str | None,
    *,
    escalate: bool = True,
    work: Work | None = None,
    kick: Callable[[], None] | None = None,
) -> tuple[threading.Thread, Waker]:
    waker = Waker()
    thread = threading.Thread(
        target=wake_loop,
        args=(runtime, config, waker),
        kwargs={"escalate": escalate, "work": work, "kick": kick},
        name="yuqing-wake",
        daemon=True,
    )
    thread.start()
    return thread, waker
