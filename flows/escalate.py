"""The escalation run, for the distributed setup: when `yuqing serve` finds something due it asks
the work pool for one, and a worker carries it out. As the runbook says it: while anything is due,
run the escalation runbook (sweep, then send: the sweep flow's task); then wait for the next due
time, polling, for `linger_seconds` (so a stream of lapses is served by one process, not a new
one each); end after `max_seconds` at most. Runs on several workers at once share the work
safely: the sweep claims deadlines with row locks that skip locked rows and the dispatcher claims
its rows compare-and-set, so none fires or sends twice; a run killed midway leaves its claims to
lapse (rows locked in its open transaction are released; rows it had claimed for sending go
back after the sending lease). The run beats while it lives (`tasks.run_beat`), so serve sees
within seconds that its worker died and asks for another."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from prefect import flow

from models.policy.clocks import utc_now
from tasks.run_beat import beating
from tasks.runtime import prepare
from tasks.sweep import escalate_due, seconds_until_due


@flow(name="escalate")
def escalate(
    config: str | None = None, linger_seconds: float = 60.0, max_seconds: float = 600.0
) -> dict[str, Any]:
    """Escalate and send whatever falls due while this run lives."""
    from prefect.runtime import flow_run

    with beating(prepare(config), flow_run.get_id()):
        return _escalate(config, linger_seconds, max_seconds)


def _escalate(config: str | None, linger_seconds: float, max_seconds: float) -> dict[str, Any]:
    poll = prepare(config).settings.dispatch.wake_poll_seconds
    began = idle_since = time.monotonic()
    totals: Counter[str] = Counter()
    cycles = 0
    while time.monotonic() - began < max_seconds:
        now = utc_now()
        wait = seconds_until_due(now, config)
        if wait == 0:
            done = escalate_due(now, config)
            totals.update(done)
            cycles += 1
            if done["claimed"] or done["queued"] or done["sent"] or done["failed"]:
                idle_since = time.monotonic()
                continue
            # Due, but held by another run (locked, or being sent): look again after a poll.
        if time.monotonic() - idle_since >= linger_seconds:
            break
        time.sleep(min(poll, wait or poll))
    return {"cycles": cycles, **totals}
