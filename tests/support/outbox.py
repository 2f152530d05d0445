"""Rows written straight (Core inserts), for the dispatcher's and the sweep's tests and the
benchmarks: a bare 一级 case (`add_case`), open deadlines under it (`open_deadline`, one row each)
and a filled outbox (`fill_outbox`: alerts to people on their `{person}_hook` channels, each due
a moment after the one before, so every person's order is known)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert
from sqlmodel import Session

from models.policy import Stage
from models.policy.states import NotificationStatus, ObligationStatus
from models.repo.directory import sync_directory
from models.store.db import session_scope
from models.store.tables import Case, Notification
from settings import PersonConfig, UnitConfig


def add_people(engine: Engine, people: Sequence[str]) -> None:
    configs = [
        PersonConfig(id=p, name=f"人{p}", unit="o", roles=["monitor"], channels=[f"{p}_hook"])
        for p in people
    ]
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="o", name="办公室")], people=configs)


def add_case(session: Session, *, title: str, at: datetime) -> Case:
    """A bare 一级 case (detected, the default policy) discovered at `at`, flushed: it has its id
    for the rows written straight under it."""
    case = Case(
        title=title,
        stage=Stage.detected,
        grade="g1",
        policy_id="default",
        discovered_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(case)
    session.flush()
    return case


def open_deadline(
    case_id: int | None,
    key: str,
    due: datetime,
    *,
    title: str = "快报",
    assignee: str | None = None,
) -> dict[str, object]:
    """The row of an open office_staff deadline due at `due`, anchored at discovery 30 minutes
    before on the wall clock, its 75% reminder counted as sent (only its lapse is to come), held
    by `assignee` if given (转办), else by the role."""
    return {
        "case_id": case_id,
        "key": key,
        "title": title,
        "owner_role": "office_staff",
        "anchor": "discovery",
        "anchor_at": due - timedelta(minutes=30),
        "clock": "wall",
        "due_at": due,
        "provisional": False,
        "status": ObligationStatus.OPEN,
        "level": 0,
        "next_check_at": due,
        "reminded_at": due,
        "assignee_id": assignee,
    }


def fill_outbox(
    engine: Engine, people: Sequence[str], count: int, *, at: datetime, run: int = 0
) -> dict[str, list[str]]:
    """`count` pending alerts spread over `people` (who must exist), due from `at` on, 1 ms
    apart; each person's notification ids in due order. `run` keeps ids and keys of several
    fills of one database apart."""
    with session_scope(engine) as session:
        case = add_case(session, title="发送测试", at=at)
        rows = []
        order: dict[str, list[str]] = {}
        for i in range(count):
            person = people[i % len(people)]
            notification_id = f"{run:08d}-0000-4000-8000-{i:012d}"
            order.setdefault(person, []).append(notification_id)
            rows.append(
                {
                    "id": notification_id,
                    "key": f"r{run}k{i}",
                    "case_id": case.id,
                    "level": 1,
                    "recipient_id": person,
                    "channel": f"{person}_hook",
                    "subject": "【一级舆情】快报已超时",
                    "body": f"第{i}条\n通知编号：{notification_id}",
                    "status": NotificationStatus.PENDING,
                    "attempts": 0,
                    "http_attempts": 0,
                    "created_at": at,
                    "due_at": at + timedelta(milliseconds=i),
                }
            )
        session.execute(insert(Notification), rows)
    return order
