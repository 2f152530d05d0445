"""`yuqing worker`: a Prefect process worker for yuqing's work pool, on any machine that shares
the database and the Prefect server (the distributed setup). It is Prefect's own `ProcessWorker`
(what `prefect worker start --type process` runs), set up the way yuqing needs:

- the Prefect API from `PREFECT_API_URL`, else the running serve's on this machine (its address
  file), else one line and exit 2;
- the runs read this machine's settings: `YUQING_CONFIG` is the absolute path of its config file
  (secrets stay in `secrets.toml` beside it, never in Prefect);
- it looks for runs every 2 s (Prefect's default is 10) and reports every 10 s, so serve sees a
  worker that died within half a minute;
- no flow-run process outlives it, even after `kill -9` (`deployments.reaper`), and it ends what
  a crashed predecessor on this data directory left.

Each flow run is still a new process (that is how Prefect's workers isolate runs): the escalation
runs linger, so a stream of lapses does not pay one each."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

from deployments.local_server import PrefectUnavailable
from deployments.prefect_api import running_serve, use_api
from deployments.reaper import end_leftovers, mark_children, start_watchdog
from deployments.zombies import HEARTBEAT_SECONDS as ZOMBIE_HEARTBEAT_SECONDS
from settings import load_settings

Say = Callable[[str], None]
DEFAULT_POOL = "yuqing"
QUERY_SECONDS = "2"
HEARTBEAT_SECONDS = "10"


def find_api(data_dir: Path) -> str:
    """The distributed setup's Prefect API, or the local serve's; PrefectUnavailable if none."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return configured
    serve = running_serve(data_dir)
    if serve is not None and serve.prefect_api is not None:
        return serve.prefect_api
    raise PrefectUnavailable(
        "找不到 Prefect 服务：请设置 PREFECT_API_URL（分布式部署中 Prefect 服务的地址），"
        "或在本机先启动 yuqing serve"
    )


def run_worker(
    config: Path | None, *, pool: str | None, limit: int, name: str | None, say: Say
) -> None:
    """Poll `pool` (default: serve.work_pool, else "yuqing") until Ctrl-C or SIGTERM."""
    path = (config or Path(os.environ.get("YUQING_CONFIG") or "yuqing.toml")).resolve()
    settings = load_settings(path, require_file=True)
    data_dir = settings.general.data_dir
    api = find_api(data_dir)
    pool = pool or settings.serve.work_pool or DEFAULT_POOL
    name = name or f"{socket.gethostname()}-{os.getpid()}"
    os.environ["YUQING_CONFIG"] = str(path)
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", QUERY_SECONDS)
    os.environ.setdefault("PREFECT_WORKER_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    # Each flow run sends Prefect heartbeats, which its zombie automation watches.
    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(ZOMBIE_HEARTBEAT_SECONDS))
    left = end_leftovers("worker", data_dir)
    if left:
        say(f"已结束上次异常退出遗留的进程 {len(left)} 个")
    watchdog = start_watchdog(mark_children("worker", data_dir))
    try:
        with use_api(api):
            say(f"worker {name}：工作池 {pool}，同时最多运行 {limit} 个；Prefect {api}")
            _work(pool, limit, name, say)
    finally:
        watchdog.finish()


def _work(pool: str, limit: int, name: str, say: Say) -> None:
    """Prefect's process worker until SIGINT or SIGTERM; the watchdog then ends its runs."""
    import anyio
    from prefect.workers.process import ProcessWorker

    async def work() -> None:
        worker = ProcessWorker(
            work_pool_name=pool,
            name=name,
            limit=limit,
            heartbeat_interval_seconds=int(HEARTBEAT_SECONDS),
        )
        async with anyio.create_task_group() as group:

            async def stop_on_signal() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                    async for _ in signals:
                        say("收到停止信号，正在停止…")
                        group.cancel_scope.cancel()
                        return

            group.start_soon(stop_on_signal)
            await worker.start(printer=say)
            group.cancel_scope.cancel()

    anyio.run(work)
