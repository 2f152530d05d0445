"""The serve process's wake-up loop: instead of waiting for the next scheduled sweep, it sleeps
until the earliest due time in the database (a deadline's next check, an ack window; a retry
too when no dispatcher runs beside it) and runs the escalation cycle then. It looks again at
least every `dispatch.wake_poll_seconds`, so a deadline created by another process (collect,
the CLI) is seen within that time. With `kick` (serve's dispatch service), the cycle sweeps and
kicks the dispatchers, which send on their own threads or processes while the loop sweeps on;
without it, the cycle dispatches one round itself. The scheduled sweep deployment stays as the
backstop if this thread ever stops."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from models.policy.clocks import utc_now
from models.store.db import session_scope
from tasks.cycle import context_for, next_wake, run_cycle
from tasks.runtime import Runtime

log = logging.getLogger(__name__)
MIN_PAUSE = 0.01  # seconds: a cycle that leaves work due (locked rows) does not spin


def seconds_until(wake: datetime | None, *, now: datetime, poll: float) -> float:
    """How long to sleep: until `wake`, but never longer than one poll."""
    if wake is None:
        return poll
    return max(0.0, min(poll, (wake - now).total_seconds()))


def wake_loop(
    runtime: Runtime,
    stop: threading.Event,
    *,
    clock: Callable[[], datetime] = utc_now,
    kick: Callable[[], None] | None = None,
) -> None:
    """Run cycles when something is due until `stop` is set."""
    ctx = context_for(runtime)
    options = runtime.settings.dispatch
    timeout = timedelta(seconds=options.claimer_timeout_seconds)
    pause = 0.0
    while not stop.wait(pause):
        now = clock()
        try:
            with session_scope(runtime.engine) as session:
                wake = next_wake(session, now=now, claimer_timeout=timeout, sends=kick is None)
            if wake is not None and wake <= now:
                run_cycle(
                    runtime.engine,
                    now=now,
                    ctx=ctx,
                    channel_url=runtime.channel_url,
                    batch_size=runtime.settings.sweep.batch_size,
                    options=options,
                    kick=kick,
                )
                pause = MIN_PAUSE
                continue
            pause = seconds_until(wake, now=clock(), poll=options.wake_poll_seconds)
        except Exception:  # keep waking: the scheduled sweep is only the backstop
            log.exception("escalation cycle failed; retrying after one poll")
            pause = options.wake_poll_seconds


def start_wake_thread(
    runtime: Runtime, *, kick: Callable[[], None] | None = None
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=wake_loop,
        args=(runtime, stop),
        kwargs={"kick": kick},
        name="yuqing-wake",
        daemon=True,
    )
    thread.start()
    return thread, stop
