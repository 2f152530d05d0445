"""The serve process's wake-up loop: instead of waiting for the next scheduled sweep, it sleeps
until the earliest due time in the database (a deadline's next check, an ack window, a retry)
and runs the escalation cycle then. It looks again at least every `dispatch.wake_poll_seconds`,
so a deadline created by another process (collect, the CLI) is seen within that time. The
scheduled sweep deployment stays as the backstop if this thread ever stops. In the distributed
setup the loop only notices what is due and hands it to the work pool (`work`)."""

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
Work = Callable[[datetime], bool]
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
    work: Work | None = None,
) -> None:
    """Run cycles when something is due until `stop` is set. `work` replaces the cycle here
    (the distributed setup hands it to the workers); it returns whether it did the work (look
    again at once) or handed it off (look again after a poll)."""
    ctx = context_for(runtime)
    options = runtime.settings.dispatch
    lease = timedelta(seconds=options.sending_lease_seconds)
    pause = 0.0
    while not stop.wait(pause):
        now = clock()
        try:
            with session_scope(runtime.engine) as session:
                wake = next_wake(session, now=now, lease=lease)
            if wake is not None and wake <= now and work is not None:
                pause = MIN_PAUSE if work(now) else options.wake_poll_seconds
                continue
            if wake is not None and wake <= now:
                run_cycle(
                    runtime.engine,
                    now=now,
                    ctx=ctx,
                    channel_url=runtime.channel_url,
                    batch_size=runtime.settings.sweep.batch_size,
                    options=options,
                )
                pause = MIN_PAUSE
                continue
            pause = seconds_until(wake, now=clock(), poll=options.wake_poll_seconds)
        except Exception:  # keep waking: the scheduled sweep is only the backstop
            log.exception("escalation cycle failed; retrying after one poll")
            pause = options.wake_poll_seconds


def start_wake_thread(
    runtime: Runtime, *, work: Work | None = None
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=wake_loop,
        args=(runtime, stop),
        kwargs={"work": work},
        name="yuqing-wake",
        daemon=True,
    )
    thread.start()
    return thread, stop
