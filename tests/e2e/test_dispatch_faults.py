"""Fault injection at named points, on SQLite and PostgreSQL: a real dispatcher process (what
`yuqing serve` runs with `dispatch.processes`) kills itself with SIGKILL when it reaches the
point `YUQING_TEST_FAULT` names (`settings.faults`): after a claim committed and before
any send, after a send returned and before its record, and after a group was recorded while
other sends were in flight. A second dispatcher process is then started. At the receiver (real
Apprise, real HTTP): nothing lost, repeats no more than the sends the killed process held, each
under its original notification id and recorded as recovered, and every alert it held delivered
within 10 s of the restart (by the times the record keeps)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from models.policy.clocks import utc_now
from models.policy.states import EventKind, NotificationStatus
from models.store.db import session_scope
from models.store.tables import CaseEvent, Dispatcher, Notification
from tests.support.configs import write_dispatch_config
from tests.support.outbox import add_people, fill_outbox
from yuqing.localservers import WebhookReceiver

REPO = Path(__file__).resolve().parents[2]
PEOPLE = [f"p{n}" for n in range(24)]  # more than one dispatcher holds: work is always in flight
ALERTS = 96
DISPATCH = "workers = 2\nheartbeat_seconds = 0.5\nclaimer_timeout_seconds = 2.0\n"


def dispatcher(config: Path, fault: str | None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "YUQING_TEST_FAULT"}
    if fault:
        env["YUQING_TEST_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "deployments.dispatcher", str(config)],
        cwd=config.parent,
        env={**env, "PYTHONPATH": str(REPO)},
    )


def rows(engine: Engine) -> list[Notification]:
    with session_scope(engine) as session:
        return list(session.exec(select(Notification)).all())


def wait_for(check: object, *, limit: float = 120.0) -> None:
    """A hang guard (the test's condition is checked after it, not its speed)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not check():  # type: ignore[operator]
        time.sleep(0.1)


@pytest.mark.parametrize("point", ["claimed", "sent", "recorded"])
def test_a_kill_at_a_named_point_loses_nothing_and_repeats_only_what_was_in_flight(
    database_url: str, engine: Engine, receiver: WebhookReceiver, tmp_path: Path, point: str
) -> None:
    urls = {f"{p}_hook": receiver.apprise_url(f"/{p}") for p in PEOPLE}
    config = write_dispatch_config(
        tmp_path, database_url=database_url, channel_urls=urls, dispatch_toml=DISPATCH
    )
    add_people(engine, PEOPLE)
    order = fill_outbox(engine, PEOPLE, ALERTS, at=utc_now() - timedelta(minutes=1))

    killed = dispatcher(config, f"{point}:3")
    assert killed.wait(timeout=120) == -9  # it killed itself at the point, as kill -9 would
    held_rows = [n for n in rows(engine) if n.status == NotificationStatus.SENDING]
    held = {n.id for n in held_rows}
    assert held, "the killed dispatcher held the sends it had in flight"
    # The slice of its last claim (the latest claim time) had not been sent when it died.
    claimed = [n.claimed_at for n in held_rows if n.claimed_at is not None]
    assert len(claimed) == len(held_rows), "every send in flight was claimed"
    last_claim = {n.id for n in held_rows if n.claimed_at == max(claimed)}
    copies_before = Counter(i for _, i in receiver.delivered)

    restarted = dispatcher(config, None)
    try:
        wait_for(lambda: all(n.status == NotificationStatus.SENT for n in rows(engine)))
        with session_scope(engine) as session:
            started = session.exec(
                select(Dispatcher.started_at).where(Dispatcher.pid == restarted.pid)
            ).one()
    finally:
        restarted.terminate()
        assert restarted.wait(timeout=60) == 0

    final = rows(engine)
    assert all(n.status == NotificationStatus.SENT for n in final)
    # Nothing lost: every alert arrived, each person's in due order of first arrival.
    arrived: dict[str, list[str]] = {}
    for path, notification_id in receiver.delivered:
        arrived.setdefault(path.strip("/"), []).append(notification_id)
    assert arrived == order
    # Repeats: only of alerts the killed process held, at most once each, same id.
    repeats = Counter(i for _, i in receiver.repeats)
    assert set(repeats) <= held and all(n == 1 for n in repeats.values())
    if point == "claimed":  # killed between that claim and its sends
        assert not (last_claim & set(copies_before)) and not (last_claim & set(repeats))
    with session_scope(engine) as session:
        recovered = session.exec(
            select(CaseEvent.data).where(col(CaseEvent.kind) == EventKind.SEND_RECOVERED)
        ).all()
    assert sorted(data["notification"] for data in recovered) == sorted(held)
    # What it held went out again within 10 s of the restart, by the record's own times.
    late = [n.sent_at - started for n in final if n.id in held and n.sent_at is not None]
    assert len(late) == len(held) and max(late) <= timedelta(seconds=10)
