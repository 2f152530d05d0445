"""The pure rules of supervision, as truth tables: when an alert every channel of whose person
failed starts over (doubling waits up to the cap, one last try at the limit, then given up);
a fault state said once when it starts and once when it ends, never per poll; a database
error named as the state it shows; a duration written for people in the settings."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from models.policy.faults import FaultBoard, lasted
from models.policy.unreachable import start_over_at
from models.store.outages import DatabaseState, database_fault
from settings import Dispatch

T = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


@pytest.mark.parametrize(
    ("rounds", "ended", "expected"),
    [
        (1, T, T + timedelta(seconds=4)),  # 2 s doubled once
        (2, T + timedelta(minutes=1), T + timedelta(minutes=1, seconds=8)),
        (10, T + timedelta(hours=1), T + timedelta(hours=1, minutes=5)),  # the cap
        (10, T + DAY - timedelta(seconds=30), T + DAY),  # the last try falls on the limit
        (10, T + DAY, None),  # the time allowed has passed: given up
    ],
)
def test_an_alert_every_channel_failed_starts_over_until_the_time_allowed(
    rounds: int, ended: datetime, expected: datetime | None
) -> None:
    restart = start_over_at(
        rounds=rounds,
        since=T,
        ended=ended,
        give_up_after=DAY,
        base=timedelta(seconds=2),
        cap=timedelta(minutes=5),
    )
    assert restart == expected


def test_a_fault_is_said_once_when_it_starts_and_once_when_it_ends() -> None:
    said: list[str] = []
    board = FaultBoard(said.append)
    for second in range(60):  # one poll a second for a minute
        board.begin(
            "database",
            "数据库只读，无法写入：x",
            now=T + timedelta(seconds=second),
            recovered="数据库已恢复",
        )
    assert board.is_open("database") and [f.key for f in board.snapshot()] == ["database"]
    board.begin(
        "database", "无法连接数据库：y", now=T + timedelta(seconds=61), recovered="数据库已恢复"
    )
    for second in range(62, 70):
        board.end("database", now=T + timedelta(seconds=second))
    assert said == [
        "故障：数据库只读，无法写入：x",
        "故障：无法连接数据库：y",  # a different state is said again, its start kept
        "恢复：数据库已恢复（持续 1分2秒）",
    ]
    assert not board.snapshot()


@pytest.mark.parametrize(
    ("message", "state"),
    [
        ("attempt to write a readonly database", DatabaseState.READ_ONLY),
        ("cannot execute UPDATE in a read-only transaction", DatabaseState.READ_ONLY),
        ("database is locked", DatabaseState.LOCKED),
        ("database or disk is full", DatabaseState.FULL),
        ("could not extend file: No space left on device", DatabaseState.FULL),
        ("unable to open database file", DatabaseState.GONE),
        ("disk I/O error", DatabaseState.READ_ONLY),
        ('connection failed: connection to server at "127.0.0.1" failed', DatabaseState.GONE),
        ("terminating connection due to administrator command", DatabaseState.GONE),
        ("syntax error near x", DatabaseState.ERROR),
    ],
)
def test_a_database_error_is_named_as_the_state_it_shows(
    message: str, state: DatabaseState
) -> None:
    error = OperationalError("UPDATE x", {}, sqlite3.OperationalError(message))
    found = database_fault(error)
    assert found is not None and found.state is state and message in found.line


def test_an_error_of_yuqing_itself_is_no_database_state() -> None:
    assert database_fault(KeyError("x")) is None


def test_lasted_reads_like_a_person_says_it() -> None:
    assert [lasted(timedelta(seconds=s)) for s in (5, 65, 3725)] == ["5秒", "1分5秒", "1小时2分"]


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("24h", 86400), ("90m", 5400), ("2天", 172800), (600, 600), ("1.5h", 5400)],
)
def test_give_up_after_is_written_as_people_write_a_duration(written: object, seconds: int) -> None:
    assert Dispatch(give_up_after=written).give_up_after == timedelta(seconds=seconds)


@pytest.mark.parametrize("written", ["soon", "10s", "90d", -5])
def test_a_give_up_after_that_cannot_be_used_is_refused_naming_the_field(written: object) -> None:
    with pytest.raises(ValidationError, match="give_up_after"):
        Dispatch(give_up_after=written)


def test_a_dispatcher_process_that_keeps_dying_waits_longer_each_time() -> None:
    from deployments.dispatcher import restart_wait

    assert [restart_wait(n) for n in (1, 2, 3, 4, 7, 8, 20)] == [0, 1, 2, 4, 32, 60, 60]
