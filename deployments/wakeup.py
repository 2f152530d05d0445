"""The serve process's wake-up loop: instead of waiting for the next scheduled sweep, it sleeps
until the earliest due time in the database (a deadline's next check, an ack window, a retry, a
case step waiting for its flow) and acts then: it runs the `case` flow for each case with
waiting steps (what people's actions caused: the quick report, the contact sheet, the approvers'
requests…; `deployments.handoff`, the one hand-off), then the escalation cycle. It looks again
at least every `dispatch.wake_poll_seconds`, so work recorded by another process (collect, the
CLI) is seen within that time, and at once when this process's console pokes it (`Waker.poke`).
The scheduled sweep deployment stays as the backstop if this thread ever stops. With `kick`
(serve's dispatch service) the cycle sweeps and kicks the dispatchers, which send on their own
threads or processes while the loop sweeps on; without it, the cycle dispatches one round
itself. In the distributed setup the loop hands the escalation to the work pool (`work`); case
steps still run here, as the case flow.

Escalation needs the database only: the loop starts as soon as it answers, and carries out case
steps (Prefect flow runs) only once `steps_ready` says Prefect's API is there. When the pool
cannot be asked (the Prefect API is away) the loop escalates and sends by itself meanwhile. A
database fault is not logged per poll (serve's monitor says it once); any other error is said
once when it starts and once when it ends (`FaultBoard`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deployments.handoff import run_steps
from models.policy.clocks import utc_now
from models.policy.faults import FaultBoard
from models.repo.steps import next_step_due
from models.store.db import session_scope
from models.store.outages import database_fault
from tasks.escalation import Send, dispatching, kicking, next_due
from tasks.escalation import escalate as escalate_now
from tasks.runtime import Runtime, context_for

log = logging.getLogger(__name__)
Work = Callable[[datetime], bool]


class PoolNotReady(Exception):
    """The pool is not registered yet (serve is starting): escalate here meanwhile."""


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


def wake_loop(
    runtime: Runtime,
    config: str | None,
    waker: Waker,
    *,
    escalate: bool = True,
    clock: Callable[[], datetime] = utc_now,
    work: Work | None = None,
    kick: Callable[[], None] | None = None,
    board: FaultBoard | None = None,
    steps_ready: Callable[[], bool] = lambda: True,
) -> None:
    """Carry out case steps (once `steps_ready`) and (when `escalate`) run escalation cycles as
    things fall due. `work` replaces the escalation cycle here (the distributed setup hands it
    to the workers); it returns whether it did the work (look again at once) or handed it off
    (look again after a poll, or when poked)."""
    board = board or FaultBoard(log.warning)
    loop = _Loop(runtime, config, board=board, work=work, kick=kick, steps_ready=steps_ready)
    options = runtime.settings.dispatch
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
                steps = next_step_due(session) if steps_ready() else None
                chains = next_due(session, now=now, claimer_timeout=timeout, sends=kick is None)
            wake = min((d for d in (steps, chains if escalate else None) if d), default=None)
            if wake is not None and wake <= now:
                pause = loop.act(now, escalate=escalate)
                continue
            pause = seconds_until(wake, now=clock(), poll=options.wake_poll_seconds)
            board.end("wakeup", now=now)
        except Exception as error:  # keep waking: the scheduled sweep is only the backstop
            _failed(board, error, now=clock())
            pause = options.wake_poll_seconds


class _Loop:
    """What the wake-up loop does when something is due."""

    def __init__(
        self,
        runtime: Runtime,
        config: str | None,
        *,
        board: FaultBoard,
        work: Work | None,
        kick: Callable[[], None] | None,
        steps_ready: Callable[[], bool],
    ) -> None:
        self.runtime, self.config, self.board = runtime, config, board
        self.work, self.steps_ready = work, steps_ready
        self.ctx = context_for(runtime)
        self.send = _sending(runtime, kick)
        self.alone = _sending(runtime, None)  # when the pool cannot be asked

    def act(self, now: datetime, *, escalate: bool) -> float:
        """Carry out the case steps and escalate; seconds to pause before looking again."""
        if self.steps_ready():
            run_steps(self.runtime, self.config, now=now)
        if not escalate:
            return MIN_PAUSE
        if self.work is not None and self._handed_off(now):
            return self.runtime.settings.dispatch.wake_poll_seconds
        send = self.send if self.work is None else self.alone
        batch = self.runtime.settings.sweep.batch_size
        escalate_now(self.runtime.engine, now=now, ctx=self.ctx, send=send, batch_size=batch)
        self.board.end("wakeup", now=now)
        return MIN_PAUSE

    def _handed_off(self, now: datetime) -> bool:
        """Ask the pool; False when it cannot be asked (escalate here meanwhile)."""
        assert self.work is not None
        try:
            did = self.work(now)
        except PoolNotReady:
            return False
        except Exception as error:
            self.board.begin(
                "pool",
                f"无法向工作池申请催办运行，由 serve 自行催办与发送：{str(error)[:150]}",
                now=now,
                recovered="工作池可用，催办交还 worker",
            )
            return False
        self.board.end("pool", now=now)
        return not did


def _failed(board: FaultBoard, error: BaseException, *, now: datetime) -> None:
    """A failed cycle: a database fault quietly (the monitor says it), anything else once."""
    if database_fault(error) is not None:
        log.debug("wake-up cycle: %s", error)
        return
    first = str(error).strip().splitlines()[0][:150] if str(error).strip() else ""
    said = board.begin(
        "wakeup",
        f"到期唤醒出错（{type(error).__name__}: {first}），每 1 秒重试",
        now=now,
        recovered="到期唤醒已恢复",
    )
    if said:
        log.error("wake-up cycle failed", exc_info=error)


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
    board: FaultBoard | None = None,
    steps_ready: Callable[[], bool] = lambda: True,
) -> tuple[threading.Thread, Waker]:
    waker = Waker()
    thread = threading.Thread(
        target=wake_loop,
        args=(runtime, config, waker),
        kwargs={
            "escalate": escalate,
            "work": work,
            "kick": kick,
            "board": board,
            "steps_ready": steps_ready,
        },
        name="yuqing-wake",
        daemon=True,
    )
    thread.start()
    return thread, waker
