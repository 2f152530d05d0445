"""Which Prefect API a process reports its flow runs to, in order:

1. the API this process already has: `PREFECT_API_URL`, or active Prefect settings (a test
   harness);
2. the running `yuqing serve`'s, from the address file it keeps in the data directory
   (`running_serve`), so nobody copies a port by hand;
3. a local server started for this process (`deployments.local_server`), stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from deployments.local_server import Say, healthy, prefect_home, quiet, start_server
from deployments.serve_record import ServeRecord, serve_alive


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
    say: Say = quiet,
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


def running_serve(data_dir: Path) -> ServeRecord | None:
    """The `yuqing serve` running on this data directory whose Prefect API answers, if any."""
    record = serve_alive(data_dir)
    if record is None or record.prefect_api is None or not healthy(record.prefect_api):
        return None
    return record
