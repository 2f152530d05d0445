"""Serving the web app with uvicorn: in the foreground (`yuqing web`) or in a background thread
beside the Prefect deployments (`yuqing serve`, and the browser tests). Forwarded headers are
believed only from `[web] trusted_proxies`. A thread's server
installs no signal handlers, so Ctrl-C stays with the main thread; `stop` asks it to finish."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import uvicorn

from models.policy.clocks import utc_now
from tasks.runtime import prepare
from yuqing.web.app import create_app

log = logging.getLogger(__name__)


@dataclass
class WebThread:
    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self, timeout: float = 10) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def _server(
    config: str | None,
    *,
    host: str,
    port: int,
    now: Callable[[], datetime],
    after_change: Callable[[int], None],
    act_token: str | None = None,
) -> uvicorn.Server:
    app = create_app(config, now=now, after_change=after_change, act_token=act_token)
    trusted = prepare(config).settings.web.trusted_proxies
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            # X-Forwarded-For / -Proto only from the configured reverse proxies: from anyone
            # else they would let a client choose its address (and dodge the sign-in throttle).
            proxy_headers=bool(trusted),
            forwarded_allow_ips=list(trusted) or None,
        )
    )


def start_web_thread(
    config: str | None,
    *,
    host: str | None = None,
    port: int | None = None,
    now: Callable[[], datetime] = utc_now,
    wait: float = 15,
    after_change: Callable[[int], None] = lambda _case_id: None,
    act_token: str | None = None,
) -> WebThread | None:
    """Start the app in a daemon thread and wait until it listens; None (logged) when it could
    not start, e.g. the port is taken: escalation goes on without the console. `act_token`:
    the secret with which commands on this machine act through it (serve's)."""
    web = prepare(config).settings.web
    host, port = host or web.host, web.port if port is None else port
    server = _server(
        config, host=host, port=port, now=now, after_change=after_change, act_token=act_token
    )
    thread = threading.Thread(target=server.run, name="yuqing-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + wait
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        log.error("控制台未能启动：无法监听 %s:%s（端口被占用？）", host, port)
        server.should_exit = True
        return None
    bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
    url = f"http://{host}:{bound}"
    log.info("控制台：%s", url)
    return WebThread(server=server, thread=thread, url=url)


def serve_web(
    config: str | None,
    *,
    host: str | None = None,
    port: int | None = None,
    after_change: Callable[[int], None] = lambda _case_id: None,
) -> None:
    """Serve the app in the foreground until Ctrl-C."""
    web = prepare(config).settings.web
    server = _server(
        config,
        host=host or web.host,
        port=port or web.port,
        now=utc_now,
        after_change=after_change,
    )
    server.run()
