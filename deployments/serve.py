"""`yuqing serve`: the process an office runs. It says each start-up step as it happens
(`deployments.startup`), and starts what sends alerts first: as soon as the database answers,
the dispatch service (`deployments.dispatcher`, supervised: a dispatcher process that dies is
started again) and the wake-up loop (`deployments.wakeup`), which alerts each lapse at its due
time; then the web app the front door hands it, the monitor (`deployments.monitor`: each fault
state said once when it starts and once when it ends, and `status.json`), and its address record
(`serve.json`), so commands hand it their steps at once. Prefect's server starts beside all
that (or the one `PREFECT_API_URL` names is used); once it answers, the case steps that people's
actions caused are carried out (case flows), and the deployments are registered: run inside this
process (`deployments.inprocess`: collection, the backstop sweep, re-runs, reports; no new
interpreter per run, no pile-up) or, in the distributed setup (`serve.work_pool`), on the pool's
workers, whom the wake-up loop asks for escalation runs (`deployments.pool`). Ctrl-C or SIGTERM
stops everything within seconds, without a traceback.

No process serve starts outlives it, even after `kill -9`, and a new serve ends whatever a crashed
one left (`deployments.reaper`); after a kill, what the old dispatchers held is sent again within
the claimer timeout of the new serve's start, Prefect or not."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from deployments.monitor import Monitor, ServeView
from deployments.reaper import end_leftovers, mark_children, start_watchdog
from deployments.serve_record import ServeRecord, remove_serve, write_serve
from deployments.startup import (
    check_channels,
    prefect_server,
    prepare_patiently,
    refuse_second_serve,
    stop_on_signals,
)
from deployments.wakeup import PoolNotReady, Waker, start_wake_thread
from models.policy.faults import FaultBoard
from tasks.runtime import Runtime

log = logging.getLogger(__name__)
Say = Callable[[str], None]
# The stop budget (SIGINT/SIGTERM to exit, children included, within 10 s): seconds each step
# may take at most. A flow run still going after its grace is recorded as cancelled.
RUN_GRACE_S = 2.0
WEB_S = 1.0
DISPATCH_S = 3.0  # sends in flight finish and are recorded; a process still sending is killed


class WebApp(Protocol):
    """What serve needs of the web app the front door starts: its address, and a way to stop."""

    url: str

    def stop(self, timeout: float = 10) -> None: ...


# The front door starts the web app: it gets the runtime, what to call after an action (wake
# the runner, so the action's steps are carried out at once), and the secret with which the
# commands on this machine have serve carry out their actions (kept in serve.json, 0600).
StartWeb = Callable[[Runtime, Callable[[int], None], str], WebApp | None]


def serve_forever(config: str | None, *, start_web: StartWeb | None, say: Say) -> None:
    """Start everything, say where it is, serve until Ctrl-C or SIGTERM, stop everything."""
    stop_on_signals()
    try:
        say("检查配置并连接数据库…")
        runtime = prepare_patiently(config, say)
        data_dir = runtime.settings.general.data_dir
        say(f"数据库已就绪；通知渠道 {check_channels(runtime)} 个，全部可用")
        refuse_second_serve(data_dir)
        left = end_leftovers("serve", data_dir)
        if left:
            say(f"已结束上次异常退出的 serve 遗留的进程 {len(left)} 个：{left}")
    except KeyboardInterrupt:
        say("收到停止信号，正在停止…")
        return
    token = mark_children("serve", data_dir)
    watchdog = start_watchdog(token)
    try:
        Serving(config, runtime, token, say).run(start_web)
    finally:
        watchdog.finish()


class PoolLater:
    """The wake-up loop's work in the distributed setup, once the pool is registered (until
    then the loop escalates by itself)."""

    def __init__(self) -> None:
        self.pool: Callable[[datetime], bool] | None = None

    def __call__(self, now: datetime) -> bool:
        if self.pool is None:
            raise PoolNotReady
        return self.pool(now)


@dataclass
class Serving:
    """The parts of one serve, started in order and stopped in reverse."""

    config: str | None
    runtime: Runtime
    token: str
    say: Say
    board: FaultBoard = field(init=False)
    view: ServeView = field(init=False)
    dispatch: Any = None
    waker: Waker | None = None
    web: WebApp | None = None
    monitor: Monitor | None = None
    runner: Any = None
    steps: threading.Event = field(default_factory=threading.Event)
    act_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    work: PoolLater | None = None
    wake_thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.board = FaultBoard(self.say)
        self.view = ServeView(work_pool=self.runtime.settings.serve.work_pool)

    def run(self, start_web: StartWeb | None) -> None:
        try:
            self._start_sending()
            if start_web is not None and self.waker is not None:
                self.web = start_web(self.runtime, self.waker.poke, self.act_token)
            self.view.console = self.web.url if self.web else None
            if self.web is not None:
                self.say(f"控制台：{self.web.url}/")
            self._record(api=None, server_pid=None)
            self.monitor = Monitor(self.runtime, self.board, self.view)
            self.monitor.start()
            with prefect_server(self.runtime, self.say) as (api, server):
                try:
                    self.view.prefect_api = api
                    self._start_deployments()
                    self._record(api=api, server_pid=server.process.pid if server else None)
                    self.say(f"Prefect 界面：{api.removesuffix('/api')}（PREFECT_API_URL={api}）")
                    self.say("yuqing serve 已就绪；Ctrl-C 停止")
                    while True:
                        time.sleep(1)
                except KeyboardInterrupt:
                    self.say("收到停止信号，正在停止…")
                finally:
                    self._stop_runs()  # while Prefect's server still answers
        except KeyboardInterrupt:
            self.say("收到停止信号，正在停止…")
        finally:
            self._stop()

    def _start_sending(self) -> None:
        """The dispatch service and the wake-up loop: they need the database only."""
        work = PoolLater() if self.view.work_pool else None
        if work is None:  # on the pool, the workers' escalation runs send
            from deployments.dispatcher import DispatchService

            service = DispatchService(self.runtime, self.config, say=self.say, board=self.board)
            self.dispatch = service
            self.dispatch.start()
            self.view.dispatchers, self.view.restarts = self.dispatch.alive, self.dispatch.restarts
        kick = self.dispatch.kick if self.dispatch is not None else None
        self.wake_thread, self.waker = start_wake_thread(
            self.runtime,
            self.config,
            work=work,
            kick=kick,
            board=self.board,
            steps_ready=self.steps.is_set,
        )
        self.work = work
        self.say(
            "到期唤醒已启动：时限到点即发出催办"
            + ("（催办由工作池的 worker 发送）" if work else "")
            + "；办理后的通知在 Prefect 服务就绪后随即执行"
        )

    def _start_deployments(self) -> None:
        """With Prefect's API: the deployments, then the case steps people's actions caused."""
        work_pool = self.view.work_pool
        if work_pool:
            from deployments.pool import start_pool

            assert isinstance(self.work, PoolLater)
            self.work.pool = start_pool(self.config, self.runtime, self.say)
            self.say(f"采集、后备检查与重跑由工作池 {work_pool} 的 worker 运行")
        else:
            from deployments.declared import local
            from deployments.inprocess import InProcessRunner

            runner = InProcessRunner(local(self.config))
            runner.start()
            self.runner = runner
            self.say("按计划运行采集与后备时限检查（在本进程内运行，不另起进程）")
        self.steps.set()
        self.view.steps_ready = True
        if self.waker is not None:
            self.waker.poke()

    def _record(self, *, api: str | None, server_pid: int | None) -> None:
        record = ServeRecord(
            pid=os.getpid(),
            prefect_api=api,
            console=self.view.console,
            prefect_server_pid=server_pid,
            owner=self.token,
            act_token=self.act_token if self.web is not None else None,
        )
        write_serve(self.runtime.settings.general.data_dir, record)

    def _stop_runs(self) -> None:
        """What needs Prefect stops first: the wake-up loop (a case flow it runs ends), the
        runner's runs."""
        self.steps.clear()
        self.view.prefect_api = None
        if self.waker is not None and self.wake_thread is not None:
            self.waker.halt()
            self.wake_thread.join(timeout=RUN_GRACE_S)
        if self.runner is not None:
            for run_id in self.runner.stop(grace=RUN_GRACE_S):
                self.say(f"流程运行 {run_id} 未在停止前完成，已记为取消")
            self.runner = None

    def _stop(self) -> None:
        remove_serve(self.runtime.settings.general.data_dir)
        if self.waker is not None:
            self.waker.halt()
        if self.monitor is not None:
            self.monitor.halt()
        if self.dispatch is not None:
            self.dispatch.stop(timeout=DISPATCH_S)
        self._stop_runs()
        if self.web is not None:
            self.web.stop(timeout=WEB_S)
        remove_serve(self.runtime.settings.general.data_dir)
