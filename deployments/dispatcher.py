"""The dispatch service `yuqing serve` runs beside its wake-up loop: dispatchers that send the
outbox continuously (`notifications.dispatch.Dispatcher.serve`), each with its own identity,
connections and Apprise objects. One runs as a thread of the serve process (the default, and
always on SQLite, which has one writer); `dispatch.processes` > 1 on PostgreSQL runs that many
processes (`python -m deployments.dispatcher [CONFIG]`), which claim disjoint work and die with
serve. The wake-up loop kicks the thread after each sweep; processes find new work by polling
(`dispatch.poll_seconds`)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from types import FrameType

from deployments.prefect_api import _die_with_parent
from notifications.dispatch import Dispatcher
from settings.faults import VARIABLE as FAULT_VARIABLE
from tasks.runtime import Runtime, prepare

log = logging.getLogger(__name__)
Say = Callable[[str], None]


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


class DispatchService:
    """serve's dispatchers: started, kicked after each sweep, stopped with serve."""

    def __init__(self, runtime: Runtime, config: str | None, *, say: Say) -> None:
        self.runtime, self.config, self.say = runtime, config, say
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.dispatcher: Dispatcher | None = None
        self.processes: list[subprocess.Popen[bytes]] = []

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
        command = [sys.executable, "-m", "deployments.dispatcher"]
        command += [self.config] if self.config else []
        for _ in range(count):
            self.processes.append(subprocess.Popen(command, preexec_fn=_die_with_parent))
        self.say(f"通知发送已启动（{count} 个发送进程）")

    def _serve_thread(self) -> None:
        assert self.dispatcher is not None
        while not self.stop_event.is_set():
            try:
                self.dispatcher.serve(self.stop_event)
            except Exception:  # keep sending: a bug in one loop must not stop delivery
                log.exception("dispatcher stopped; restarting in a second")
                self.stop_event.wait(1.0)

    def kick(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.kick()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming, finish and record the sends in flight, sign off."""
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main(config: str | None) -> None:
    """One dispatcher process, until SIGTERM or SIGINT."""
    stop = threading.Event()

    def stopping(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    dispatcher = dispatcher_for(prepare(config))
    dispatcher.serve(stop)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
