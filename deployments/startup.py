"""What `yuqing serve` does before it serves, step by step, each said as it happens: wait for
the database (saying each retry, trying again after 1, 2, 4 … 60 s) and check that every
obligation of the policy reaches somebody; check every channel URL; refuse to be a second serve
on the data directory; and, beside the sending that already runs, start Prefect's server (or use
the one `PREFECT_API_URL` names) with its UI pointed at that server's own address on whatever
port it was given."""

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

from sqlalchemy.exc import OperationalError

from deployments.local_server import LocalServer, PrefectUnavailable, start_server
from deployments.prefect_api import drain_prefect, use_api
from deployments.serve_record import read_serve, remove_serve, serve_alive
from models.policy.clocks import utc_now
from models.store.outages import database_unreachable
from settings import SettingsError
from tasks.runtime import Runtime, calendar_gaps, prepare, reach_problems

log = logging.getLogger(__name__)
Say = Callable[[str], None]
DRAIN_S = 1.5
PREFECT_SERVER_S = 3.0  # then SIGKILL; what is left after that, the watchdog ends


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
    for warning in [*warnings, *calendar_gaps(runtime, utc_now())]:
        say(f"警告：{warning}")
    if problems:
        raise SettingsError(problems)
    return runtime


def refuse_second_serve(data_dir: Path) -> None:
    running = serve_alive(data_dir)
    if running is not None:
        api = running.prefect_api or "启动中"
        raise PrefectUnavailable(f"已有 yuqing serve 在运行（进程 {running.pid}，Prefect {api}）")
    if read_serve(data_dir) is not None:  # a record left by a serve that was killed
        remove_serve(data_dir)


def stop_on_signals() -> None:
    """SIGTERM stops serve like Ctrl-C (SIGINT): through the same clean shutdown."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


@contextlib.contextmanager
def prefect_server(runtime: Runtime, say: Say) -> Iterator[tuple[str, LocalServer | None]]:
    """The operator's Prefect API (`PREFECT_API_URL`, the distributed setup), or serve's own
    server on `serve.prefect_host:serve.prefect_port` with its state under `data_dir/prefect`
    and its UI talking to that same address (whatever the port)."""
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
