"""The distributed setup as processes on this machine (`tests.support.topology`): PostgreSQL, a
Prefect server on PostgreSQL, one `yuqing serve` (console and wake-ups, `serve.work_pool` set)
and two `yuqing worker`s. Forty quick reports lapse over twenty seconds; serve asks the pool for
escalation runs and both workers carry one; one worker is killed with SIGKILL while its run is
sending. At the receiver (real Apprise, real HTTP): every alert is delivered once by notification
id and none is lost, every deadline fired each level once, nothing is left in the outbox, the
killed worker's flow-run processes are gone with it, and a second copy of an id arrives only
after a recorded recovery of that id (the one window no sender can close: accepted by the
channel, killed before the record committed). The killed worker's escalation run is marked
crashed (serve sees it stopped beating) and the alerts go on; serve registered Prefect's zombie
automation for the pool. Runs on PostgreSQL only (several writers)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from models.policy.clocks import utc_now
from models.policy.states import EventKind, NotificationStatus
from models.store.db import make_engine, session_scope
from models.store.tables import CaseEvent, Notification
from tests.e2e.test_reaper import gone
from tests.e2e.test_serve import children_of
from tests.support.escalation import new_case
from tests.support.postgres import PostgresAdmin
from tests.support.topology import Topology, topology
from yuqing.localservers import WebhookReceiver

CASES = 40
LEVEL_ONE = 3  # the quick report's level 1: owner, leader in charge, duty officer
# A sending lease of 5 s: rows the killed worker claimed go back to the survivor quickly.
FAST = "[dispatch]\nsending_lease_seconds = 5\n\n"


def settled(url: str) -> bool:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            unsent = session.exec(
                select(Notification.id).where(
                    col(Notification.status).in_(
                        [NotificationStatus.PENDING, NotificationStatus.SENDING]
                    )
                )
            ).all()
            lapses = session.exec(
                select(CaseEvent.id).where(CaseEvent.kind == EventKind.DEADLINE_LAPSED)
            ).all()
        return not unsent and len(lapses) >= CASES
    finally:
        engine.dispose()


def flow_run_processes(worker_pid: int) -> set[int]:
    """The worker's flow-run processes (Prefect's supervisor and engine)."""
    return children_of(worker_pid)


def kill_one_mid_run(setup: Topology, receiver: WebhookReceiver) -> tuple[set[int], float]:
    """SIGKILL a worker once alerts are flowing and it has a flow run going; its run's pids
    and when it was killed."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        with receiver.lock:
            flowing = len(receiver.received) >= CASES // 2
        busy = [w for w in setup.workers if flow_run_processes(w.pid)]
        if flowing and len(busy) == 2:
            victim = busy[0]
            runs = flow_run_processes(victim.pid)
            victim.kill()
            killed = time.time()
            victim.wait()
            return runs, killed
        time.sleep(0.1)
    raise AssertionError("no moment with both workers running: " + setup.logs())


def test_two_workers_one_killed_mid_run_every_alert_once_none_lost(
    postgres_admin: PostgresAdmin,
    selected_backends: tuple[str, ...],
    tmp_path: Path,
    receiver: WebhookReceiver,
) -> None:
    if "postgresql" not in selected_backends:
        pytest.skip("the distributed setup runs on PostgreSQL")
    with topology(tmp_path, postgres_admin, receiver, extra_toml=FAST) as setup:
        for name in ("w1", "w2"):
            setup.start_worker(name)
        setup.wait_for_workers(2)
        engine = make_engine(setup.database_url)
        start = utc_now() + timedelta(seconds=5)
        for n in range(CASES):  # quick reports (30 min) falling due one every 0.5 s
            new_case(engine, at=start - timedelta(minutes=30) + n * timedelta(seconds=0.5))
        killed_runs, killed_at = kill_one_mid_run(setup, receiver)
        assert killed_runs
        deadline = time.monotonic() + 240
        while not settled(setup.database_url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert settled(setup.database_url), setup.logs()
        # The killed worker's watchdog ends its flow-run processes (SIGTERM, then SIGKILL).
        assert all(gone(pid, seconds=30) for pid in killed_runs)
        with session_scope(engine) as session:
            rows = session.exec(select(Notification)).all()
            events = session.exec(select(CaseEvent)).all()
        engine.dispose()
        crashed = escalation_states(setup).count("CRASHED")
        automations = zombie_automations(setup)
    assert crashed >= 1  # the killed worker's escalation run, seen to stop beating
    assert automations == 1
    with receiver.lock:
        after = sorted(r.at for r in receiver.received if r.at > killed_at)
    gap = after[0] - killed_at if after else float("inf")
    assert gap < 120  # a hang guard; the figure is printed (the aim: 30 s on a quiet machine)
    lapses = Counter(
        (e.case_id, e.data["obligation"], e.data["level"])
        for e in events
        if e.kind == EventKind.DEADLINE_LAPSED
    )
    assert len(lapses) >= CASES and max(lapses.values()) == 1  # no level fired twice
    level_one = [n for n in rows if n.chain == "no_completion" and n.level == 1]
    assert len(level_one) >= CASES * LEVEL_ONE
    assert all(n.status == NotificationStatus.SENT for n in rows)
    # Delivered once each, after the receiver drops repeats by notification id: none lost.
    assert sorted(receiver.delivered) == sorted((f"/hook/{n.recipient_id}", n.id) for n in rows)
    recoveries = Counter(
        e.data["notification"] for e in events if e.kind == EventKind.SEND_RECOVERED
    )
    extra = Counter(i for _, i in receiver.repeats)
    assert all(count <= recoveries[i] for i, count in extra.items()), (extra, recoveries)
    print(
        f"topology: {len(rows)} alerts delivered once by id; {sum(recoveries.values())} sends "
        f"recovered after the kill, {len(receiver.repeats)} repeats dropped by the receiver; "
        f"the next alert {gap:.1f} s after the kill"
    )


def escalation_states(setup: Topology) -> list[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    from deployments.prefect_api import use_api

    escalate = FlowFilter(name=FlowFilterName(any_=["escalate"]))
    with use_api(setup.prefect.url), get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=escalate)
    return [r.state.type.value for r in runs if r.state is not None]


def zombie_automations(setup: Topology) -> int:
    from prefect import get_client

    from deployments.prefect_api import use_api
    from deployments.zombies import automation_name
    from tests.support.topology import POOL

    with use_api(setup.prefect.url), get_client(sync_client=True) as client:
        return len(client.read_automations_by_name(automation_name(POOL)))


def test_a_worker_with_no_prefect_api_to_use_says_so_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess

    from tests.support.topology import YUQING

    config = tmp_path / "yuqing.toml"
    config.write_text('[general]\ndata_dir = "data"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    done = subprocess.run(
        [YUQING, "--config", str(config), "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "无法执行 找不到 Prefect 服务：请设置 PREFECT_API_URL（分布式部署中 Prefect 服务的地址），"
        "或在本机先启动 yuqing serve"
    ]
