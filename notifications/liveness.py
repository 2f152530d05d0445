"""Who is dispatching: every dispatcher (a process, or a thread of one) has an identity
(host:pid:random) that its claims carry, and a row it beats every `heartbeat_seconds`. A claimer
that has not beaten for `claimer_timeout_seconds` is gone: its rows `sending` are taken over by
whichever dispatcher looks next (`notifications.outbox.rows.take_over`), so a crash delays what it
held by seconds. A dispatcher that stops cleanly removes its row, which hands its rows over at
once. The beat is each dispatcher transaction's first statement: on SQLite that write takes the
one writer's lock before the transaction reads anything."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from models.store.tables import Dispatcher

TABLE = Dispatcher.__table__  # type: ignore[attr-defined]
D = TABLE.c
FORGET_AFTER = timedelta(hours=1)  # rows of dispatchers silent this long are deleted


def new_identity() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def beat(session: Session, *, me: str, now: datetime) -> None:
    """Say `me` is alive at `now` (the first beat registers it)."""
    done = session.execute(update(TABLE).where(D.id == me).values(beat_at=now))
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(
            insert(TABLE).values(
                id=me, host=me.split(":", 1)[0], pid=os.getpid(), started_at=now, beat_at=now
            )
        )


def run_identity(run_id: str) -> str:
    """The identity a pool run beats under: its host, pid and Prefect flow-run id."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{run_id}"


def run_alive(session: Session, run_id: str, *, now: datetime, timeout: timedelta) -> bool | None:
    """Whether the pool run `run_id` beats: True (within `timeout`), False (it stopped), None
    (it never beat: not started yet)."""
    last = session.execute(
        select(D.beat_at).where(D.id.endswith(f":{run_id}")).order_by(D.beat_at.desc()).limit(1)
    ).scalar()
    return None if last is None else bool(last >= now - timeout)


def live_claimers(now: datetime, *, timeout: timedelta) -> Any:
    """A subquery of the identities that beat within `timeout` of `now`."""
    return select(D.id).where(D.beat_at >= now - timeout)


def retire(session: Session, *, me: str) -> None:
    """`me` stops: anything it still holds is free to take over."""
    session.execute(delete(TABLE).where(D.id == me))


def forget_silent(session: Session, *, now: datetime) -> None:
    session.execute(delete(TABLE).where(D.beat_at < now - FORGET_AFTER))
