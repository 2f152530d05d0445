"""The embedded default's Prefect API: when no `PREFECT_API_URL` is configured, `yuqing serve`
starts a Prefect server of its own on 127.0.0.1 (SQLite under the data directory) and stops it
on exit. Prefect's temporary in-process server does not run the scheduler service, so scheduled
deployments would never fire without a real one."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

log = logging.getLogger(__name__)
STARTUP_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Prefect 服务器启动失败（退出码 {process.returncode}），见 {log_file}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Prefect 服务器 {STARTUP_TIMEOUT_S:.0f} 秒内未就绪，见 {log_file}")


@contextmanager
def prefect_api(data_dir: Path) -> Iterator[str]:
    """The Prefect API URL to use: the configured one, or a local server started here."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    home = (data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{_free_port()}/api"
    port = url.rsplit(":", 1)[1].split("/", 1)[0]
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    log_file = home / "server.log"
    prefect_cli = Path(sys.executable).with_name("prefect")
    with log_file.open("ab") as output:
        process = subprocess.Popen(
            [str(prefect_cli), "server", "start", "--host", "127.0.0.1", "--port", port],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(url, process, log_file)
        log.info("local Prefect server at %s (state in %s)", url, home)
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
