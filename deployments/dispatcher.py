"""The dispatch service `yuqing serve` runs beside its wake-up loop: dispatchers that send the
outbox continuously (`notifications.dispatch.Dispatcher.serve`), each with its own identity,
connections and Apprise objects. One runs as a thread of the serve process (the default, and
always on SQLite, which has one writer); `dispatch.processes` > 1 on PostgreSQL runs that many
processes (`python -m deployments.dispatcher [CONFIG]`), which claim disjoint work and die with
serve. The wake-up loop kicks the thread after each sweep; processes find new work by polling
(`dispatch.poll_seconds`).

Supervised: a dispatcher process that exits is started again within a second, and again after
1, 2, 4 … at most 60 s while it keeps dying within a minute of its start; serve says both (one
line when it died, one when it is back: `FaultBoard`). What it held is taken over by the others
meanwhile (the claimer timeout). A dispatcher process waits for its database quietly (a restart
while PostgreSQL restarts), and no dispatcher prints a traceback per failed transaction: the
database's state is said once by serve's monitor (`deployments.monitor`)."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from models.policy.clocks import utc_now
from models.policy.faults import FaultBoard
from notifications.dispatch import Dispatcher
from settings.faults import VARIABLE as FAULT_VARIABLE
from tasks.runtime import Runtime

log = logging.getLogger(__name__)
Say = Callable[[str], None]
WATCH_S = 0.2  # how often the supervisor looks at its processes
STEADY_S = 60.0  # a process that lived this long starts its next restart at the shortest wait
RESTART_MAX_S = 60.0


def dispatcher_for(runtime: Runtime) -> Dispatcher:
    return Dispatcher(
        runtime.engine,
        channel_url=runtime.channel_url,
        options=runtime.settings.dispatch,
        language=runtime.settings.general.language,
    )


def process_count(runtime: Runtime) -> int:
    """How many dispatcher processes to run: one thread on SQLite, whatever is asked."""
    wanted = runtime.settings.dispatch.processes
    return 1 if runtime.engine.dialect.name == "sqlite" else wanted


def restart_wait(deaths: int) -> float:
    """Seconds before starting a process again after its `deaths`-th quick death in a row."""
    return 0.0 if deaths <= 1 else min(RESTART_MAX_S, float(2 ** (deaths - 2)))


@dataclass
class Slot:
    """One dispatcher process of the service: its number, the process, its restarts."""

    number: int
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    deaths: int = 0  # quick deaths in a row
    restart_at: float | None = None  # monotonic: when to start it again
    restarts: int = 0


class DispatchService:
    """serve's dispatchers: started, kicked after each sweep, supervised, stopped with serve."""

    def __init__(
        self,
        runtime: Runtime,
        config: str | None,
        *,
        say: Say,
        board: FaultBoard | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime, self.config, self.say = runtime, config, say
        self.board = board or FaultBoard(say)
        self.clock = clock
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.supervisor: threading.Thread | None = None
        self.dispatcher: Dispatcher | None = None
        self.slots: list[Slot] = []

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [slot.process for slot in self.slots]

    def start(self) -> None:
        if os.environ.get(FAULT_VARIABLE):
            self.say(f"警告：设置了 {FAULT_VARIABLE}（仅供测试的故障注入），发送进程会按它自杀")
        count = process_count(self.runtime)
        if count != self.runtime.settings.dispatch.processes:
            self.say("SQLite 只允许一个写入者：发送按 1 个进程运行")
        if count == 1:
            self.dispatcher = dispatcher_for(self.runtime)
            self.thread = threading.Thread(
                target=self._serve_thread, name="yuqing-dispatch", daemon=True
            )
            self.thread.start()
            self.say("通知发送已启动（在本进程内）")
            return
        self.slots = [Slot(n, self._spawn(first=True)) for n in range(1, count + 1)]
        self.supervisor = threading.Thread(
            target=self._supervise, name="yuqing-dispatch-supervisor", daemon=True
        )
        self.supervisor.start()
        self.say(f"通知发送已启动（{count} 个发送进程）")

    def _spawn(self, *, first: bool) -> subprocess.Popen[bytes]:
        from deployments.processes import die_with_parent

        command = [sys.executable, "-m", "deployments.dispatcher"]
        command += [self.config] if self.config else []
        env = dict(os.environ)
        if not first:  # the test kill switch kills the first start only, not its restarts
            env.pop(FAULT_VARIABLE, None)
        return subprocess.Popen(command, env=env, preexec_fn=die_with_parent)

    def _serve_thread(self) -> None:
        assert self.dispatcher is not None
        while not self.stop_event.is_set():
            try:
                self.dispatcher.serve(self.stop_event)
            except Exception:  # keep sending: a bug in one loop must not stop delivery
                log.exception("dispatcher stopped; restarting in a second")
                self.stop_event.wait(1.0)

    def _supervise(self) -> None:
        while not self.stop_event.wait(WATCH_S):
            for slot in self.slots:
                self._look_after(slot)

    def _look_after(self, slot: Slot) -> None:
        """Notice a process that died; start it again when its wait is over."""
        now = self.clock()
        if slot.restart_at is None:
            code = slot.process.poll()
            if code is None or self.stop_event.is_set():
                return
            quick = now - slot.started < STEADY_S
            slot.deaths = slot.deaths + 1 if quick else 1
            wait = restart_wait(slot.deaths)
            slot.restart_at = now + wait
            when = "立即重启" if wait == 0 else f"{wait:.0f} 秒后重启（连续退出 {slot.deaths} 次）"
            self.board.begin(
                f"dispatcher:{slot.number}",
                f"发送进程 {slot.number}（进程 {slot.process.pid}）已退出（退出码 {code}），{when}",
                now=utc_now(),
                recovered=f"发送进程 {slot.number} 已重启",
            )
        if slot.restart_at is not None and now >= slot.restart_at and not self.stop_event.is_set():
            slot.process = self._spawn(first=False)
            slot.started, slot.restart_at = now, None
            slot.restarts += 1
            self.board.end(f"dispatcher:{slot.number}", now=utc_now())

    def alive(self) -> tuple[int, int]:
        """(dispatchers running, dispatchers wanted)."""
        if self.thread is not None:
            return int(self.thread.is_alive()), 1
        return sum(slot.process.poll() is None for slot in self.slots), len(self.slots)

    def restarts(self) -> int:
        return sum(slot.restarts for slot in self.slots)

    def kick(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.kick()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming, finish and record the sends in flight, sign off."""
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)
        if self.supervisor is not None:
            self.supervisor.join(timeout)
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def prepare_quietly(config: str | None, stop: threading.Event) -> Runtime | None:
    """The runtime once the database answers (trying again after 1, 2, 4 … 30 s, quietly: serve
    says the database's state); None when stopped meanwhile."""
    from sqlalchemy.exc import DBAPIError

    from tasks.runtime import prepare

    for attempt in itertools.count(1):
        try:
            return prepare(config)
        except DBAPIError as exc:
            log.debug("database not ready (attempt %d): %s", attempt, exc)
            if stop.wait(min(30.0, 2 ** (attempt - 1))):
                return None
    return None  # pragma: no cover - the loop only ends by returning


def main(config: str | None) -> None:
    """One dispatcher process, until SIGTERM or SIGINT."""
    stop = threading.Event()

    def stopping(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    runtime = prepare_quietly(config, stop)
    if runtime is not None:
        dispatcher_for(runtime).serve(stop)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
