"""The crash test, on SQLite and on PostgreSQL: over 20 rounds a process running sweep and
dispatch is killed with SIGKILL at a random moment while deadlines lapse, then restarted. At the
receiver (real Apprise, real HTTP): every lapsed deadline reached every recipient of its chain
level exactly once after the receiver drops repeats by notification id, no alert was queued
under two ids, and nothing is left stuck in the outbox. A second copy of an id can only come
from a kill inside the one window no sender can close (after the receiver accepted it, before
the "sent" record committed): the test checks that every extra copy follows a recorded
recovery of that id."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from models.policy.clocks import utc_now
from models.policy.states import EventKind, NotificationStatus
from models.store.db import make_engine, session_scope
from models.store.tables import CaseEvent, Notification
from tests.support.escalation import hook_urls, new_case, office
from yuqing.localservers import WebhookReceiver

ROUNDS = 20
CASES = 40
REPO = Path(__file__).resolve().parents[2]


def start_worker(url: str, urls: dict[str, str]) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.support.crash_worker", url, json.dumps(urls)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    return worker


def settled(engine_url: str) -> bool:
    engine = make_engine(engine_url)
    try:
        with session_scope(engine) as session:
            open_rows = session.exec(
                select(Notification.id).where(
                    Notification.status.in_(  # type: ignore[attr-defined]
                        [NotificationStatus.PENDING, NotificationStatus.SENDING]
                    )
                )
            ).all()
            lapses = session.exec(
                select(CaseEvent.id).where(CaseEvent.kind == EventKind.DEADLINE_LAPSED)
            ).all()
        return not open_rows and len(lapses) == CASES
    finally:
        engine.dispose()


def test_sigkill_during_sweep_and_dispatch_delivers_each_alert_once_by_id(
    database_url: str, engine: Engine, receiver: WebhookReceiver
) -> None:
    url = database_url
    office(engine, {})
    start = utc_now() + timedelta(seconds=2)
    for n in range(CASES):  # quick reports (30 min) falling due one every ~0.6 s
        new_case(engine, at=start - timedelta(minutes=30) + n * timedelta(seconds=0.6))
    urls = hook_urls(receiver, ["wang", "li", "zhao", "chen", "sun"])
    rng = random.Random(4)
    kills = 0
    for _ in range(ROUNDS):
        worker = start_worker(url, urls)
        time.sleep(rng.uniform(0.05, 0.8))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills += 1
    worker = start_worker(url, urls)
    try:
        deadline = time.monotonic() + 60
        while not settled(url) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait()
    assert kills == ROUNDS and settled(url)

    with session_scope(engine) as session:
        rows = session.exec(select(Notification)).all()
        recoveries = Counter(
            e.data["notification"]
            for e in session.exec(
                select(CaseEvent).where(CaseEvent.kind == EventKind.SEND_RECOVERED)
            ).all()
        )
    level_one = [n for n in rows if n.chain == "no_completion"]
    assert len(level_one) == CASES * 3  # each quick report: owner, leader, duty officer
    assert all(n.status == NotificationStatus.SENT for n in rows)  # reminders too
    alerts = {(n.case_id, n.obligation_id, n.chain, n.level, n.recipient_id) for n in rows}
    assert len(alerts) == len(rows)  # one id per alert: a sweep never queued one twice
    # Delivered once each, after the receiver drops repeats by notification id: none lost.
    expected = sorted((f"/hook/{n.recipient_id}", n.id) for n in rows)
    assert sorted(receiver.delivered) == expected
    # A copy arrives twice only when a kill fell after the receiver accepted it and before the
    # "sent" record committed: every extra copy follows a recorded recovery of that very id.
    extra = Counter(i for _, i in receiver.repeats)
    assert all(count <= recoveries[i] for i, count in extra.items()), (extra, recoveries)
    print(
        f"crash test: {kills} kills, {sum(recoveries.values())} sends recovered, "
        f"{len(receiver.repeats)} repeats dropped by the receiver"
    )
