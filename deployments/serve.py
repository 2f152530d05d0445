"""`yuqing serve`: the deployments, declared once, and the process that runs them.

Collection on the configured interval, the sweep as a backstop (the wake-up loop alerts a
lapsed deadline at its due time; see `deployments.wakeup`), and the manual re-run of a stuck
case (no schedule; started from the Prefect UI with a `case_id`). `serve_forever` says each
start-up step, starts (or uses) the Prefect server, records its addresses in the data
directory's `serve.json` so other commands find it, starts the wake-up loop and the web app the
front door hands it, and serves the schedules until Ctrl-C or SIGTERM. Alerts are sent by the
dispatch service (`deployments.dispatcher`), which the wake-up loop kicks after each sweep.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from deployments.prefect_api import (
    LocalServer,
    PrefectUnavailable,
    ServeRecord,
    drain_prefect,
    read_serve,
    remove_serve,
    running_serve,
    start_server,
    use_api,
    write_serve,
)
from settings import SettingsError
from tasks.runtime import Runtime, prepare

log = logging.getLogger(__name__)
Say = Callable[[str], None]


class WebApp(Protocol):
    """What serve needs of the web app the front door starts: its address, and a way to stop."""

    url: str

    def stop(self, timeout: float = 10) -> None: ...


StartWeb = Callable[[Runtime], WebApp | None]


def deployments(config: str | None) -> list[Any]:
    """The RunnerDeployments `yuqing serve` runs; parameters carry the config path, no secrets."""
    from deployments.rerun import rerun_deployment
    from flows.collect import collect
    from flows.sweep import sweep

    settings = prepare(config).settings
    parameters = {"config": config}
    return [
        collect.to_deployment(
            name="scheduled", interval=settings.collect.interval_seconds, parameters=parameters
        ),
        sweep.to_deployment(
            name="scheduled", interval=settings.sweep.interval_seconds, parameters=parameters
        ),
        rerun_deployment(config),  # no schedule: started from the Prefect UI with a case_id
    ]


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
    options = runtime.settings.serve
    server = start_server(
        runtime.settings.general.data_dir / "prefect",
        host=options.prefect_host,
        port=options.prefect_port,
        services=True,  # its scheduler fires the scheduled deployments
        ui=True,
        say=say,
    )
    try:
        with use_api(server.url):
            try:
                yield server.url, server
            finally:
                drain_prefect()
    finally:
        say("正在停止 Prefect 服务…")
        server.stop()


def _refuse_second_serve(data_dir: Path) -> None:
    running = running_serve(data_dir)
    if running is not None:
        raise PrefectUnavailable(
            f"已有 yuqing serve 在运行（进程 {running.pid}，Prefect {running.prefect_api}）"
        )
    if read_serve(data_dir) is not None:  # a record left by a serve that was killed
        remove_serve(data_dir)


def _stop_on_sigterm() -> None:
    """SIGTERM stops serve like Ctrl-C: through the same clean shutdown."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def serve_forever(config: str | None, *, start_web: StartWeb | None, say: Say) -> None:
    """Start everything, say where it is, serve until Ctrl-C or SIGTERM, stop everything."""
    from deployments.dispatcher import DispatchService
    from deployments.wakeup import start_wake_thread

    _stop_on_sigterm()
    say("检查配置并迁移数据库…")
    runtime = prepare(config)
    data_dir = runtime.settings.general.data_dir
    say(f"数据库已就绪；通知渠道 {check_channels(runtime)} 个，全部可用")
    _refuse_second_serve(data_dir)
    with _prefect_server(runtime, say) as (api, server):
        dispatch = DispatchService(runtime, config, say=say)
        dispatch.start()
        _, stop_waking = start_wake_thread(runtime, kick=dispatch.kick)
        say("到期唤醒已启动：时限到点即发出催办")
        web = start_web(runtime) if start_web is not None else None
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
            # Imported only now, with the API chosen.
            from prefect import serve

            say("按计划运行采集与时限检查；Ctrl-C 停止")
            serve(*deployments(config), print_starting_message=False)
        except KeyboardInterrupt:
            say("收到停止信号，正在停止…")
        finally:
            remove_serve(data_dir)
            stop_waking.set()
            dispatch.stop()
            if web is not None:
                web.stop()
