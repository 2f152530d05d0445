"""`yuqing serve`: the process an office runs. It says each start-up step, starts (or uses) the
Prefect server, records its addresses in the data directory's `serve.json` so other commands find
it, starts the wake-up loop and the web app the front door hands it, says where the console and
Prefect's UI are, and runs until Ctrl-C or SIGTERM, which stop everything within seconds.

Embedded (the default): collection on its interval, the backstop sweep and the manual re-run run
inside this process (`deployments.inprocess`: no new interpreter per run, no pile-up), the wake-up
loop alerts each lapse at its due time, and the dispatch service (`deployments.dispatcher`), which
the wake-up loop kicks after each sweep, sends the alerts. Distributed (`serve.work_pool` and
`PREFECT_API_URL`): the same deployments are registered for the pool's workers and the wake-up loop
asks them for escalation runs (`deployments.pool`); serve keeps the console and the wake-ups. A
database that does not answer yet is waited for, with back-off, each retry said
(`prepare_patiently`).

No process serve starts outlives it, even after `kill -9`, and a new serve ends whatever a crashed
one left (`deployments.reaper`)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError

from deployments.prefect_api import (
    LocalServer,
    PrefectUnavailable,
    drain_prefect,
    start_server,
    use_api,
)
from deployments.reaper import end_leftovers, mark_children, start_watchdog
from deployments.serve_record import ServeRecord, read_serve, remove_serve, serve_alive, write_serve
from models.store.outages import database_unreachable
from settings import SettingsError
from tasks.runtime import Runtime, prepare, reach_problems

log = logging.getLogger(__name__)
Say = Callable[[str], None]
# The stop budget (SIGINT/SIGTERM to exit, children included, within 10 s): seconds each step
# may take at most. A flow run still going after its grace is recorded as cancelled.
RUN_GRACE_S = 2.0
DRAIN_S = 1.5
WEB_S = 1.0
DISPATCH_S = 3.0  # sends in flight finish and are recorded; a process still sending is killed
PREFECT_SERVER_S = 3.0  # then SIGKILL; what is left after that, the watchdog ends


class WebApp(Protocol):
    """What serve needs of the web app the front door starts: its address, and a way to stop."""

    url: str

    def stop(self, timeout: float = 10) -> None: ...


# The front door starts the web app: it gets the runtime, and what to call after an action (wake
# the runner, so the action's steps are carried out at once).
StartWeb = Callable[[Runtime, Callable[[int], None]], WebApp | None]


def check_channels(runtime: Runtime) -> int:
    """Refuse to start with a channel URL Apprise cannot use; log URLs in privacy form only."""
    from notifications.channels import is_valid_url, privacy_url

    problems = []
    channels = runtime.settings.secrets.channels
    for channel_id, secret in channels.items():
        url = secret.get_secret_value()
        if not is_valid_url(url):
            problems.append(f"secrets.channels.{channel_id}: Apprise 无法识别 {privacy_url(url)}")
        else:
            log.info("channel %s: %s", channel_id, privacy_url(url))
    if problems:
        raise SettingsError(problems)
    return len(channels)


@contextlib.contextmanager
def _prefect_server(runtime: Runtime, say: Say) -> Iterator[tuple[str, LocalServer | None]]:
    """The operator's Prefect API (`PREFECT_API_URL`, the distributed setup), or serve's own
    server on `serve.prefect_port` with its state under `data_dir/prefect`."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        say(f"使用已配置的 Prefect 服务：{configured}")
        yield configured, None
        return
    if runtime.settings.serve.work_pool:
        raise PrefectUnavailable(
            "serve.work_pool 已设置（分布式部署）：请用 PREFECT_API_URL 指明共用的 Prefect 服务"
        )
    options = runtime.settings.serve
    server = start_server(
        runtime.settings.general.data_dir / "prefect",
        host=options.prefect_host,
        port=options.prefect_port,
        services=True,  # its scheduler creates the scheduled deployments' runs
        ui=True,
        say=say,
    )
    try:
        with use_api(server.url):
            try:
                yield server.url, server
            finally:
                drain_prefect(timeout=DRAIN_S)
    finally:
        say("正在停止 Prefect 服务…")
        server.stop(timeout=PREFECT_SERVER_S)


def _refuse_second_serve(data_dir: Path) -> None:
    running = serve_alive(data_dir)
    if running is not None:
        raise PrefectUnavailable(
            f"已有 yuqing serve 在运行（进程 {running.pid}，Prefect {running.prefect_api}）"
        )
    if read_serve(data_dir) is not None:  # a record left by a serve that was killed
        remove_serve(data_dir)


def _stop_on_signals() -> None:
    """SIGTERM stops serve like Ctrl-C (SIGINT): through the same clean shutdown."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def database_retry_wait(attempt: int) -> float:
    """Seconds before trying an unreachable database again: 1, 2, 4 … at most 60."""
    return float(min(60, 2 ** (attempt - 1)))


def prepare_patiently(
    config: str | None, say: Say, *, sleep: Callable[[float], None] = time.sleep
) -> Runtime:
    """The runtime, once the database answers (saying each retry), with every obligation of
    the policy reaching somebody: an unreachable first chain level refuses to start, a later
    one is said as a warning."""
    for attempt in itertools.count(1):
        try:
            runtime = prepare(config)
            break
        except OperationalError as exc:
            wait = database_retry_wait(attempt)
            say(f"{database_unreachable(exc)}；{wait:.0f} 秒后重试（第 {attempt} 次）")
            sleep(wait)
    problems, warnings = reach_problems(runtime.settings, runtime.policy)
    for warning in warnings:
        say(f"警告：{warning}")
    if problems:
        raise SettingsError(problems)
    return runtime


def serve_forever(config: str | None, *, start_web: StartWeb | None, say: Say) -> None:
    """Start everything, say where it is, serve until Ctrl-C or SIGTERM, stop everything."""
    _stop_on_signals()
    say("检查配置并迁移数据库…")
    runtime = prepare_patiently(config, say)
    data_dir = runtime.settings.general.data_dir
    say(f"数据库已就绪；通知渠道 {check_channels(runtime)} 个，全部可用")
    _refuse_second_serve(data_dir)
    left = end_leftovers("serve", data_dir)
    if left:
        say(f"已结束上次异常退出的 serve 遗留的进程 {len(left)} 个：{left}")
    watchdog = start_watchdog(mark_children("serve", data_dir))
    try:
        with _prefect_server(runtime, say) as (api, server):
            _serve(config, runtime, api, server, start_web, say)
    finally:
        watchdog.finish()


def _serve(
    config: str | None,
    runtime: Runtime,
    api: str,
    server: LocalServer | None,
    start_web: StartWeb | None,
    say: Say,
) -> None:
    from deployments.wakeup import start_wake_thread

    data_dir = runtime.settings.general.data_dir
    work_pool = runtime.settings.serve.work_pool
    runner: Any = None
    work: Any = None
    if work_pool:
        from deployments.pool import start_pool

        work = start_pool(config, runtime, say)
    dispatch = None
    if not work_pool:  # on the pool, the workers' escalation runs send
        from deployments.dispatcher import DispatchService

        dispatch = DispatchService(runtime, config, say=say)
        dispatch.start()
    kick = dispatch.kick if dispatch is not None else None
    _, waker = start_wake_thread(runtime, config, work=work, kick=kick)
    say(
        "到期唤醒已启动：时限到点即发出催办，办理后的通知随即发出"
        + ("（催办由工作池的 worker 发送）" if work else "")
    )
    web = start_web(runtime, waker.poke) if start_web is not None else None
    write_serve(
        data_dir,
        ServeRecord(
            pid=os.getpid(),
            prefect_api=api,
            console=web.url if web else None,
            prefect_server_pid=server.process.pid if server else None,
        ),
    )
    if web is not None:
        say(f"控制台：{web.url}/")
    say(f"Prefect 界面：{api.removesuffix('/api')}（PREFECT_API_URL={api}）")
    try:
        if not work_pool:
            from deployments.declared import local
            from deployments.inprocess import InProcessRunner

            runner = InProcessRunner(local(config))
            runner.start()
            say("按计划运行采集与后备时限检查（在本进程内运行，不另起进程）；Ctrl-C 停止")
        else:
            say(f"采集、后备检查与重跑由工作池 {work_pool} 的 worker 运行；Ctrl-C 停止")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        say("收到停止信号，正在停止…")
    finally:
        remove_serve(data_dir)
        waker.halt()
        if dispatch is not None:
            dispatch.stop(timeout=DISPATCH_S)
        if runner is not None:
            for run_id in runner.stop(grace=RUN_GRACE_S):
                say(f"流程运行 {run_id} 未在停止前完成，已记为取消")
        if web is not None:
            web.stop(timeout=WEB_S)
