"""A pool run says it is alive: while a flow run of the pool (an escalation run) works, a thread
beats its identity (`notifications.liveness.run_identity`: host, pid, flow-run id) every
`dispatch.heartbeat_seconds`, so serve sees within seconds that a worker died under it, not when
Prefect marks the worker offline (`deployments.pool`). Best effort: a beat that cannot be written
(the database away) is tried again at the next one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from models.policy.clocks import utc_now
from models.store.db import session_scope
from notifications.liveness import beat, retire, run_identity
from tasks.runtime import Runtime

log = logging.getLogger(__name__)


@contextmanager
def beating(runtime: Runtime, run_id: str | None) -> Iterator[None]:
    """Beat for `run_id` for the block (nothing without a run: a flow called directly)."""
    if run_id is None:
        yield
        return
    me, stop = run_identity(run_id), threading.Event()

    def loop() -> None:
        while True:
            try:
                with session_scope(runtime.engine) as session:
                    beat(session, me=me, now=utc_now())
            except Exception as error:  # the database away: the next beat tries again
                log.debug("run beat failed: %s", error)
            if stop.wait(runtime.settings.dispatch.heartbeat_seconds):
                return

    thread = threading.Thread(target=loop, name="yuqing-run-beat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            with session_scope(runtime.engine) as session:
                retire(session, me=me)
        except Exception as error:
            log.debug("run beat could not sign off: %s", error)
