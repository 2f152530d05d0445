"""The crash test: over 20 rounds a process running sweep and dispatch is killed with SIGKILL at
a random moment while deadlines lapse, then restarted. At the receiver (real Apprise, real HTTP):
every lapsed deadline reached every recipient of its chain level, no alert was sent under two
ids, and nothing is left stuck in the outbox. A repeat of one id can only come from a kill inside
the documented window (after the receiver accepted it, before the record committed); the test
counts those and checks each one is a send the recovery rule re-sent."""

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

from sqlmodel import select

from models.clock import utc_now
from models.db import make_engine, session_scope, upgrade_database
from models.states import EventKind, NotificationStatus
from models.tables import CaseEvent, Notification
from tests.support.escalation import hook_urls, ids_at, new_case, office
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


def test_sigkill_during_sweep_and_dispatch_loses_nothing_and_repeats_only_resumed_sends(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    upgrade_database(url)
    engine = make_engine(url)
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

    received = ids_at(receiver)
    per_id = Counter(i for _, i in received)
    with session_scope(engine) as session:
        rows = session.exec(select(Notification)).all()
        recovered = {
            e.data["notification"]
            for e in session.exec(
                select(CaseEvent).where(CaseEvent.kind == EventKind.SEND_RECOVERED)
            ).all()
        }
    level_one = [n for n in rows if n.chain == "no_completion"]
    assert len(level_one) == CASES * 3  # each quick report: owner, leader, duty officer
    assert all(n.status == NotificationStatus.SENT for n in rows)  # reminders too
    assert {(f"/hook/{n.recipient_id}", n.id) for n in rows} == set(received)  # none lost
    alerts = {(n.case_id, n.obligation_id, n.chain, n.level, n.recipient_id) for n in rows}
    assert len(alerts) == len(rows)  # one id per alert: a sweep never queued one twice
    repeats = {i for i, count in per_id.items() if count > 1}
    assert repeats <= recovered and max(per_id.values()) <= 2
    print(f"crash test: {kills} kills, {len(recovered)} sends recovered, {len(repeats)} repeats")
