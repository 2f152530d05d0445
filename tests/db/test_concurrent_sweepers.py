"""Two sweepers and two dispatchers running at once over the same due deadlines never fire a
level twice nor send an alert twice: PostgreSQL skips rows the other holds locked and every
claim is compare-and-set. (SQLite has one writer at a time, so the test is PostgreSQL's.)"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from models.policy.states import EventKind, NotificationStatus
from models.store.db import session_scope
from models.store.tables import CaseEvent
from tests.support.escalation import CTX, T0, cycle, hook_urls, ids_at, new_case, office, outbox
from yuqing.localservers import WebhookReceiver

CASES = 60


def test_two_sweepers_at_once_never_double_fire(engine: Engine, receiver: WebhookReceiver) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite allows one writer at a time; concurrency is PostgreSQL's")
    office(engine, {})
    for n in range(CASES):
        new_case(engine, title=f"并发{n}")
    urls = hook_urls(receiver, ["wang", "li", "zhao", "chen", "sun"])
    at = T0 + timedelta(minutes=31)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            start.wait()
            cycle(engine, at, urls, ctx=CTX, batch_size=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(engine) as session:
        lapses = session.exec(
            select(CaseEvent.case_id, CaseEvent.data).where(
                CaseEvent.kind == EventKind.DEADLINE_LAPSED
            )
        ).all()
    fired = Counter((case_id, data["obligation"], data["level"]) for case_id, data in lapses)
    assert len(fired) >= CASES and max(fired.values()) == 1
    rows = outbox(engine)
    assert all(n.status == NotificationStatus.SENT for n in rows)
    received = Counter(i for _, i in ids_at(receiver))
    assert len(received) == len(rows) and max(received.values()) == 1
