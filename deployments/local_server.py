"""A local Prefect server started for this process, with enough time to start.

Never Prefect's temporary server: its 20 s start-up limit fails on a fresh Prefect home (which
first migrates its own database, 35-80 s on two busy cores) and it can leave a server behind.
This one says it is starting, has a generous start-up limit, and dies with the process, even on
`kill -9` (Linux's parent-death signal), besides being stopped at exit. A server whose owner
died anyway (another platform, a reparented process) is found by its record beside Prefect's
database and ended by the next start on that home.

Servers that only carry one command's flow runs skip Prefect's background services; `yuqing
serve`'s runs them (its scheduler fires the deployments).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from deployments.pids import alive
from deployments.processes import die_with_parent, end, stop_child

SERVER_RECORD = "yuqing-server.json"  # beside Prefect's database: who started its server
STARTUP_LIMIT_S = 600.0  # a fresh home on two busy cores took 80 s; leave room
PROGRESS_EVERY_S = 15.0

Say = Callable[[str], None]


class PrefectUnavailable(Exception):
    """No Prefect API could be found or started; the message is one line for the operator."""


def quiet(_: str) -> None:
    return None


def prefect_home() -> Path:
    """Prefect's own home: `PREFECT_HOME`, else `~/.prefect`."""
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()


def healthy(url: str, *, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


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
        stop_child(self.process, timeout)
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


def end_orphan(home: Path, *, say: Say = quiet) -> None:
    """End a server a crashed owner left on `home` (its record names an owner that is gone)."""
    try:
        record = json.loads((home / SERVER_RECORD).read_text(encoding="utf-8"))
        pid, owner = int(record["pid"]), int(record["owner"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if alive(owner) or not alive(pid) or "prefect" not in _cmdline(pid):
        return  # its owner lives on, it is gone, or the pid now belongs to something else
    say(f"结束上次异常退出遗留的 Prefect 服务（进程 {pid}）")
    end([pid], grace=5.0)
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
    say: Say = quiet,
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
        environment = _server_environment(home, host, port, url, ui=ui, env=env)
        server = _launch(home, host, port, url, environment, services=services)
        try:
            _wait_ready(server, say=say, limit=limit, on_ready=on_ready)
        except BaseException:
            server.stop(timeout=5)
            raise
    return server


def _server_environment(
    home: Path, host: str, port: int, url: str, *, ui: bool, env: dict[str, str] | None
) -> dict[str, str]:
    """The server's environment: ours without any API of our own, its home, address and UI."""
    return {
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


def _launch(
    home: Path, host: str, port: int, url: str, environment: dict[str, str], *, services: bool
) -> LocalServer:
    """Start the server process, its output in `server.log`, and record who started it."""
    log = home / "server.log"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host]
    command += ["--port", str(port), *([] if services else ["--no-services"])]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    record = {"pid": process.pid, "owner": os.getpid(), "url": url}
    (home / SERVER_RECORD).write_text(json.dumps(record), encoding="utf-8")
    return LocalServer(url=url, process=process, home=home, log=log)


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
