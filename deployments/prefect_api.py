"""Which Prefect API a process reports its flow runs to: found, or started here with enough time.

Never Prefect's temporary server: its 20 s start-up limit fails on a fresh Prefect home (which
first migrates its own database, 35-80 s on two busy cores) and it can leave a server behind.
In order:

1. the API this process already has: `PREFECT_API_URL`, or active Prefect settings (a test
   harness);
2. the running `yuqing serve`'s, from the address file it keeps in the data directory
   (`serve.json`), so nobody copies a port by hand;
3. a local server started for this process: a progress line while it starts, a generous
   start-up limit, and it dies with the process, even on `kill -9` (Linux's parent-death
   signal), besides being stopped at exit. A server whose owner died anyway (another platform,
   a reparented process) is found by its record beside Prefect's database and ended by the next
   start on that home.

Servers that only carry one command's flow runs skip Prefect's background services; `yuqing
serve`'s runs them (its scheduler fires the deployments).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from deployments.serve_record import ServeRecord, alive, serve_alive

SERVER_RECORD = "yuqing-server.json"  # beside Prefect's database: who started its server
STARTUP_LIMIT_S = 600.0  # a fresh home on two busy cores took 80 s; leave room
PROGRESS_EVERY_S = 15.0

Say = Callable[[str], None]


class PrefectUnavailable(Exception):
    """No Prefect API could be found or started; the message is one line for the operator."""


def _quiet(_: str) -> None:
    return None


def prefect_home() -> Path:
    """Prefect's own home: `PREFECT_HOME`, else `~/.prefect`."""
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()


def current_api() -> str | None:
    """The API this process already uses, if any (the environment or active Prefect settings)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return configured
    if "prefect" in sys.modules:  # imported already: its settings may name one (a test harness)
        from prefect.settings import get_current_settings

        url = get_current_settings().api.url
        return str(url) if url else None
    return None


def healthy(url: str, *, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


# --- the running serve -----------------------------------------------------------------------


def running_serve(data_dir: Path) -> ServeRecord | None:
    """The `yuqing serve` running on this data directory whose Prefect API answers, if any."""
    record = serve_alive(data_dir)
    if record is None or record.prefect_api is None or not healthy(record.prefect_api):
        return None
    return record


# --- a local server ---------------------------------------------------------------------------


@dataclass
class LocalServer:
    url: str
    process: subprocess.Popen[bytes]
    home: Path
    log: Path

    @property
    def ui(self) -> str:
        return self.url.removesuffix("/api")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`; forgets its record."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(OSError):
            record = self.home / SERVER_RECORD
            if json.loads(record.read_text(encoding="utf-8")).get("pid") == self.process.pid:
                record.unlink()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_free(host: str, port: int) -> bool:
    """Nothing listens on it. Connections of a server just stopped (TIME_WAIT) do not count:
    the server binds with SO_REUSEADDR, and so does this probe."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: killed when its parent dies


def end_orphan(home: Path, *, say: Say = _quiet) -> None:
    """End a server a crashed owner left on `home` (its record names an owner that is gone)."""
    try:
        record = json.loads((home / SERVER_RECORD).read_text(encoding="utf-8"))
        pid, owner = int(record["pid"]), int(record["owner"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if alive(owner) or not alive(pid) or "prefect" not in _cmdline(pid):
        return  # its owner lives on, it is gone, or the pid now belongs to something else
    say(f"结束上次异常退出遗留的 Prefect 服务（进程 {pid}）")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        (home / SERVER_RECORD).unlink()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "prefect"  # no /proc (not Linux): trust the record


@contextlib.contextmanager
def _home_lock(home: Path) -> Iterator[None]:
    """One start at a time per home: two servers migrating one database at once collide."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / "yuqing-server.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_server(
    home: Path,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    services: bool = False,
    ui: bool = False,
    say: Say = _quiet,
    limit: float = STARTUP_LIMIT_S,
    env: dict[str, str] | None = None,
    on_ready: Callable[[float], None] | None = None,
) -> LocalServer:
    """Start `prefect server start` on `home` and wait until it answers; PrefectUnavailable
    (one line) when it exits or does not answer within `limit` seconds. `env` adds to its
    environment (e.g. PREFECT_SERVER_DATABASE_CONNECTION_URL for PostgreSQL). It says when it
    starts and when it is ready, or, with `on_ready`, hands that the seconds it took instead
    (the caller says it in its own words); a long start is said every 15 s either way."""
    home = home.resolve()
    with _home_lock(home):
        end_orphan(home, say=say)
        port = port or free_port(host)
        if not port_free(host, port):
            raise PrefectUnavailable(f"Prefect 服务端口 {host}:{port} 已被占用，请换一个端口")
        url = f"http://{host}:{port}/api"
        log = home / "server.log"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")},
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "true" if ui else "false",
            # The UI asks this address for its API, not Prefect's default port 4200 (an
            # operator's own PREFECT_UI_API_URL wins: a server behind a proxy).
            "PREFECT_UI_API_URL": os.environ.get("PREFECT_UI_API_URL") or url,
            "PREFECT_SERVER_API_HOST": host,
            "PREFECT_SERVER_API_PORT": str(port),
            "DO_NOT_TRACK": "1",
            **(env or {}),
        }
        command = [sys.executable, "-m", "prefect", "server", "start", "--host", host]
        command += ["--port", str(port), *([] if services else ["--no-services"])]
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        server = LocalServer(url=url, process=process, home=home, log=log)
        record = {"pid": process.pid, "owner": os.getpid(), "url": url}
        (home / SERVER_RECORD).write_text(json.dumps(record), encoding="utf-8")
        try:
            _wait_ready(server, say=say, limit=limit, on_ready=on_ready)
        except BaseException:
            server.stop(timeout=5)
            raise
    return server


def _wait_ready(
    server: LocalServer, *, say: Say, limit: float, on_ready: Callable[[float], None] | None
) -> None:
    started = time.monotonic()
    if on_ready is None:
        say(f"正在启动本地 Prefect 服务（{server.home}）…")
    next_note = started + PROGRESS_EVERY_S
    while True:
        waited = time.monotonic() - started
        if server.process.poll() is not None:
            raise PrefectUnavailable(
                f"Prefect 服务启动失败（退出码 {server.process.returncode}），日志：{server.log}"
            )
        if healthy(server.url, timeout=1.0):
            if on_ready is None:
                say(f"Prefect 服务已就绪：{server.url}（用时 {waited:.0f} 秒）")
            else:
                on_ready(waited)
            return
        if waited > limit:
            raise PrefectUnavailable(f"Prefect 服务 {limit:.0f} 秒内未就绪，日志：{server.log}")
        if time.monotonic() >= next_note:
            say(f"… Prefect 服务仍在启动（已 {waited:.0f} 秒；首次使用需初始化其数据库）")
            next_note += PROGRESS_EVERY_S
        time.sleep(0.25)


# --- choosing the API -------------------------------------------------------------------------


def drain_prefect(timeout: float = 10.0) -> None:
    """Send this process's queued Prefect logs and events now, while their server still runs:
    left for interpreter exit, they would be retried against a stopped server (a hang)."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):  # best effort: the run's record is already kept
            worker.drain_all(timeout=timeout)


@contextlib.contextmanager
def use_api(url: str) -> Iterator[str]:
    """Point this process (and its children) at `url` for the duration of the block."""
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    _reread_prefect_settings()
    try:
        with contextlib.ExitStack() as stack:
            if "prefect" in sys.modules:  # this thread's own settings context, if it has one
                from prefect.settings import PREFECT_API_URL, temporary_settings

                stack.enter_context(temporary_settings(updates={PREFECT_API_URL: url}))
            yield url
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        _reread_prefect_settings()


def _reread_prefect_settings() -> None:
    """Prefect reads its settings when first imported; when it was imported already, its global
    settings are read again from the environment, so every thread (the wake-up loop's, the
    runner's) uses the API chosen, not a temporary server of its own."""
    if "prefect" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


@contextlib.contextmanager
def prefect_api(
    data_dir: Path | None,
    *,
    say: Say = _quiet,
    on_ready: Callable[[float], None] | None = None,
) -> Iterator[str]:
    """The Prefect API for this process's flow runs: its own, the running serve's, or a local
    server on Prefect's home started for the block (see the module docstring; `on_ready` as
    `start_server`'s)."""
    existing = current_api()
    if existing:
        yield existing
        return
    serve = running_serve(data_dir) if data_dir is not None else None
    if serve is not None and serve.prefect_api is not None:
        with use_api(serve.prefect_api) as url:
            yield url
        return
    server = start_server(prefect_home(), say=say, on_ready=on_ready)
    try:
        with use_api(server.url) as url:
            try:
                yield url
            finally:
                drain_prefect()
    finally:
        server.stop()
