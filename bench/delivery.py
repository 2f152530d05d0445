"""Dispatch throughput: notifications per second from the outbox (SQLite) through real Apprise
to a local webhook receiver, claim and record included; one alert per message (no merging).

    uv run python bench/delivery.py [COUNT]

The final line is one JSON object."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from common import add_bench_case, database
from sqlalchemy import insert

from models.db import make_engine, session_scope
from models.directory import sync_directory
from models.states import NotificationStatus
from models.tables import Notification
from notifications.dispatch import dispatch_pending
from yuqing.localservers import WebhookReceiver
from yuqing.settings import Dispatch, PersonConfig, UnitConfig

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PEOPLE = 50


def fill(url: str, count: int) -> None:
    engine = make_engine(url)
    people = [
        PersonConfig(id=f"p{n}", name=f"人{n}", unit="o", roles=["monitor"], channels=[f"c{n}"])
        for n in range(PEOPLE)
    ]
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=people)
        case = add_bench_case(session, at=NOW)
        rows = [
            {
                "id": f"00000000-0000-0000-0000-{i:012d}",
                "key": f"k{i}",
                "case_id": case.id,
                "level": 1,
                "recipient_id": f"p{i % PEOPLE}",
                "channel": f"c{i % PEOPLE}",
                "subject": "【一级舆情】快报已超时",
                "body": f"正文 通知编号：{i}",
                "status": NotificationStatus.PENDING,
                "attempts": 0,
                "created_at": NOW,
            }
            for i in range(count)
        ]
        session.execute(insert(Notification), rows)
    engine.dispose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    options = Dispatch(per_recipient_per_minute=1_000_000)
    with database("sqlite") as url, WebhookReceiver() as receiver:
        fill(url, count)
        urls = {f"c{n}": receiver.apprise_url(f"/p{n}") for n in range(PEOPLE)}
        engine = make_engine(url)
        began = time.perf_counter()
        result = dispatch_pending(
            engine, channel_url=urls.get, now=NOW, options=options, limit=count
        )
        elapsed = time.perf_counter() - began
        assert result.sent == count and len(receiver.received) == count, result
    per_s = count / elapsed
    print(
        f"{count} notifications in {elapsed:.2f} s: {per_s:.0f}/s "
        f"({elapsed / count * 1000:.2f} ms each: claim txn + Apprise send + record txn)"
    )
    print(
        json.dumps(
            {
                "notifications": count,
                "per_s": round(per_s, 1),
                "ms_per_notification": round(elapsed / count * 1000, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
