"""Sweep cost against the number pending: claim (and fully escalate) the 1,000 due deadlines
among 10,000 and among 1,000,000 pending, on SQLite and on PostgreSQL. Each measured sweep runs
in a transaction that is rolled back, so every repetition sees the same 1,000 due.

    uv run python bench/sweep.py            # both backends, 10k and 1M pending
    uv run python bench/sweep.py --quick    # 10k and 100k only

The final line is one JSON object (ms per sweep, keyed by backend and pending count)."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta

from common import database, median
from sqlalchemy import insert
from sqlmodel import Session

from models.repo.directory import sync_directory
from models.repo.lapses import claim_due, escalate_due
from models.store.db import make_engine, session_scope
from models.store.presets import default_policy
from models.store.tables import Obligation
from notifications.notices import deliver
from notifications.outbox.context import DeliveryContext
from settings import PersonConfig, UnitConfig
from tests.support.outbox import add_case, open_deadline

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DUE = 1000
CHUNK = 100_000
PEOPLE = [
    PersonConfig(id="wang", name="王芳", unit="o", roles=["office_staff"], channels=["w"]),
    PersonConfig(id="li", name="李强", unit="o", roles=["leader_in_charge"], channels=["l"]),
    PersonConfig(id="zhao", name="赵敏", unit="o", roles=["duty_officer"], channels=["z"]),
]


def fill(url: str, pending: int) -> None:
    """One case, `pending` open obligations of which DUE are due (one minute late)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=PEOPLE)
        case = add_case(session, title="bench", at=NOW)
        case_id = case.id
    for start in range(0, pending, CHUNK):
        rows = [_row(case_id, i) for i in range(start, min(pending, start + CHUNK))]
        with session_scope(engine) as session:
            session.execute(insert(Obligation), rows)
    engine.dispose()


def _row(case_id: int | None, i: int) -> dict[str, object]:
    due = NOW - timedelta(minutes=1) if i < DUE else NOW + timedelta(minutes=1 + i % 10_000)
    return open_deadline(case_id, f"k{i}", due)


def measure(url: str, runs: int = 7) -> tuple[float, float]:
    """(median ms to claim DUE, median ms to escalate DUE: plan, events, outbox rows)."""
    engine = make_engine(url)
    ctx = DeliveryContext(policy=default_policy())
    claims, sweeps = [], []
    for _ in range(runs):
        with Session(engine) as session:
            began = time.perf_counter()
            claimed = claim_due(session, now=NOW, limit=DUE)
            claims.append((time.perf_counter() - began) * 1000)
            assert len(claimed) == DUE
            session.rollback()
        with Session(engine) as session:
            began = time.perf_counter()
            result = escalate_due(
                session,
                now=NOW,
                policy=ctx.policy,
                routing=ctx.routing,
                quiet=ctx.quiet,
                batch_size=DUE,
            )
            deliver(session, result.notices, ctx=ctx, now=NOW)
            session.flush()
            sweeps.append((time.perf_counter() - began) * 1000)
            assert result.levels_fired == DUE
            session.rollback()
    engine.dispose()
    return median(claims), median(sweeps)


def main() -> None:
    sizes = [10_000, 100_000] if "--quick" in sys.argv else [10_000, 1_000_000]
    figures: dict[str, float] = {}
    for backend in ("sqlite", "postgresql"):
        for pending in sizes:
            with database(backend) as url:
                began = time.perf_counter()
                fill(url, pending)
                filled = time.perf_counter() - began
                claim_ms, sweep_ms = measure(url)
            label = f"{backend}_{pending // 1000}k"
            print(
                f"{label:>16}: fill {filled:6.1f} s, claim {DUE} due {claim_ms:7.1f} ms, "
                f"full sweep of {DUE} {sweep_ms:8.1f} ms"
            )
            figures[f"{label}_claim_ms_per_sweep"] = round(claim_ms, 2)
            figures[f"{label}_full_ms_per_sweep"] = round(sweep_ms, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
