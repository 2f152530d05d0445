"""Re-running a stuck case, on SQLite and PostgreSQL, against a twin that never failed. Each test
plays one case in two databases on the same moved clock, each office on its own real receiver
(real Apprise): world A runs normally, world B is broken on purpose at one step (a deadline row
deleted, a registration that stopped after the case row, a next check lost, the outbox left
unsent by a killed process, a dispatch whose receiver was down, a case step (the quick report to
its targets) that failed after its retries). B is
listed as stuck, re-run, and must end as A: the same deadlines from the same anchors, the same
outbox, the same messages at its receiver, the same timeline apart from delivery evidence and
the one `rerun` entry. Re-running a healthy case changes nothing, byte for byte."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, update
from sqlmodel import col, select

from models.policy import WorkCalendar
from models.policy.states import EventKind
from models.repo.rerun import Repair
from models.repo.steps import add_steps
from models.repo.stuck import StuckReason, find_stuck
from models.store.db import make_engine, session_scope, upgrade_database
from models.store.tables import CaseEvent, Notification, Obligation
from notifications.claims import claim
from notifications.health import breaker_rule
from settings import Dispatch
from tasks.escalation import sweep
from tasks.rerun import repair
from tasks.steps import claim as claim_steps
from tasks.steps import perform_step, record_failure
from tests.support.escalation import CTX, POLICY, T0, cycle, hook_urls, new_case, office
from tests.support.postgres import PostgresAdmin, unique_database_name
from yuqing.localservers import WebhookReceiver

PEOPLE = ["wang", "li", "zhao", "chen", "sun"]
LEASE = timedelta(seconds=Dispatch().sending_lease_seconds)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DUE = T0 + timedelta(minutes=30)  # 一级 quick report
DELIVERY = {EventKind.DELIVERED, EventKind.DELIVERY_FAILED, EventKind.SEND_RECOVERED}


@dataclass
class World:
    engine: Engine
    receiver: WebhookReceiver
    case_id: int = 0

    @property
    def urls(self) -> dict[str, str]:
        return hook_urls(self.receiver, PEOPLE)


@pytest.fixture
def twin_engine(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Engine]:
    """A second empty database on the same backend as `engine`, for the world that never
    failed."""
    name = ""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'twin.sqlite3'}"
    else:
        admin: PostgresAdmin = request.getfixturevalue("postgres_admin")
        name = unique_database_name()
        url = admin.create_database(name)
    upgrade_database(url)
    twin = make_engine(url)
    try:
        yield twin
    finally:
        twin.dispose()
        if name:
            admin.drop_database(name)


@pytest.fixture
def worlds(
    engine: Engine, twin_engine: Engine, receiver: WebhookReceiver
) -> Iterator[tuple[World, World]]:
    """(A, B): the same office and the same case opened at T0, in two databases."""
    with WebhookReceiver() as twin_receiver:
        a, b = World(twin_engine, twin_receiver), World(engine, receiver)
        for world in (a, b):
            office(world.engine, {})
            world.case_id = new_case(world.engine)
        assert a.case_id == b.case_id
        yield a, b


def carry_out(world: World, at: Any, *, failed: bool = False) -> None:
    """What the case flow does with the case's steps (and its failed ones on a re-run)."""
    for step_id, _ in claim_steps(world.engine, case_id=world.case_id, now=at, failed=failed):
        perform_step(world.engine, CTX, step_id=step_id, now=at)


def rerun(world: World, at: Any, *, options: Dispatch | None = None) -> Repair:
    """What the rerun-case flow does: repair the case, carry out its failed and waiting steps,
    then sweep and dispatch."""
    repaired = repair(
        world.engine,
        case_id=world.case_id,
        now=at,
        policy=POLICY,
        calendar=WorkCalendar.default(),
        lease=LEASE,
        actor="ops",
    )
    carry_out(world, at, failed=True)
    cycle(world.engine, at, world.urls, options=options)
    return repaired


def stuck(world: World, at: Any) -> set[StuckReason]:
    with session_scope(world.engine) as session:
        found = find_stuck(session, now=at, policy=POLICY, lease=LEASE)
    assert [s.case_id for s in found] in ([], [world.case_id])
    return set(found[0].reasons) if found else set()


def state(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Deadlines and outbox as a user compares them (ids and send times aside)."""
    with session_scope(world.engine) as session:
        rows = session.exec(select(Obligation).where(Obligation.case_id == world.case_id)).all()
        keys = {o.id: o.key for o in rows}
        notes = session.exec(select(Notification).where(Notification.case_id == world.case_id))
        return {
            "obligations": sorted(_deadline(o) for o in rows),
            "outbox": sorted(_alert(n, keys) for n in notes.all()),
        }


def _deadline(o: Obligation) -> tuple[Any, ...]:
    return (
        o.key,
        o.anchor_at,
        o.due_at,
        o.clock,
        o.status,
        o.level,
        o.next_check_at,
        o.reminded_at,
    )


def _alert(n: Notification, keys: dict[int | None, str]) -> tuple[Any, ...]:
    body = UUID.sub("<id>", n.body)
    return (keys.get(n.obligation_id), n.chain, n.level, n.recipient_id, n.channel, n.status, body)


def timeline(world: World, *, skip: set[EventKind]) -> list[tuple[Any, ...]]:
    """The entries as a user compares them; delivery evidence carries the real time of each
    attempt (the twins' sends differ by milliseconds), compared to the second."""
    with session_scope(world.engine) as session:
        rows = session.exec(select(CaseEvent).where(CaseEvent.case_id == world.case_id)).all()
    return sorted(
        (
            e.at.replace(microsecond=0) if e.kind in DELIVERY else e.at,
            e.kind.value,
            e.actor,
            UUID.sub("<id>", e.message),
        )
        for e in rows
        if e.kind not in skip
    )


def kinds(world: World) -> Counter[EventKind]:
    with session_scope(world.engine) as session:
        query = select(col(CaseEvent.kind)).where(CaseEvent.case_id == world.case_id)
        return Counter(session.exec(query).all())


def messages(world: World) -> list[tuple[str, str, str]]:
    return sorted(
        (r.path, r.json()["title"], UUID.sub("<id>", r.json()["message"]))
        for r in world.receiver.received
    )


def snapshot(world: World) -> list[dict[str, Any]]:
    """Every stored column of the case's timeline, deadlines and outbox."""
    with session_scope(world.engine) as session:
        rows: list[Any] = []
        for table in (CaseEvent, Obligation, Notification):
            query = select(table).where(table.case_id == world.case_id)
            rows += sorted(session.exec(query).all(), key=lambda r: str(r.id))
        return [r.model_dump() for r in rows]


def assert_same(a: World, b: World, *, skip: set[EventKind]) -> None:
    assert state(b) == state(a)
    assert messages(b) == messages(a)
    assert timeline(b, skip=skip | {EventKind.RERUN}) == timeline(a, skip=skip)
    assert kinds(b)[EventKind.RERUN] == 1 and kinds(a)[EventKind.RERUN] == 0


def assert_rerun_changes_nothing(world: World, at: Any) -> None:
    before, received = snapshot(world), len(world.receiver.received)
    assert stuck(world, at) == set()
    assert rerun(world, at) == Repair(world.case_id)
    assert snapshot(world) == before and len(world.receiver.received) == received


@pytest.mark.parametrize("lost", ["deadline_row", "registration_after_case_row"])
def test_missing_deadline_is_recreated_from_its_original_anchor(
    worlds: tuple[World, World], lost: str
) -> None:
    a, b = worlds
    with session_scope(b.engine) as session:
        query = delete(Obligation).where(col(Obligation.case_id) == b.case_id)
        if lost == "deadline_row":
            query = query.where(col(Obligation.key) == "quick_report")
        else:  # what a registration stopped right after the case row would leave
            session.execute(
                delete(CaseEvent).where(
                    col(CaseEvent.case_id) == b.case_id,
                    col(CaseEvent.kind) == EventKind.OBLIGATION_OPENED,
                )
            )
        session.execute(query)
    at = DUE + timedelta(minutes=1)  # already past: it lapses on the re-run's own sweep
    assert StuckReason.MISSING_DEADLINE in stuck(b, at)
    cycle(a.engine, at, a.urls)
    repaired = rerun(b, at)

    assert "quick_report" in repaired.recreated and repaired.restored == ()
    assert_same(a, b, skip=set())
    with session_scope(b.engine) as session:
        quick = session.exec(select(Obligation).where(Obligation.key == "quick_report")).one()
    assert (quick.anchor_at, quick.due_at, quick.level) == (T0, DUE, 1)  # no clock restarted
    assert {r.path for r in b.receiver.received} == {"/hook/wang", "/hook/li", "/hook/zhao"}
    assert_rerun_changes_nothing(b, at)


def test_lost_next_check_resumes_at_the_next_level_without_refiring(
    worlds: tuple[World, World],
) -> None:
    a, b = worlds
    first = DUE + timedelta(minutes=1)
    for world in worlds:
        assert cycle(world.engine, first, world.urls)["levels_fired"] == 1
    with session_scope(b.engine) as session:
        session.execute(
            update(Obligation)
            .where(col(Obligation.key) == "quick_report")
            .values(next_check_at=None)
        )
    second = DUE + timedelta(minutes=16)  # level 2 is due at +15 min
    assert stuck(b, second) == {StuckReason.NO_LIVE_CHECK}
    assert cycle(a.engine, second, a.urls)["levels_fired"] == 1
    repaired = rerun(b, second)

    assert repaired.restored == ("quick_report",) and repaired.recreated == ()
    assert_same(a, b, skip=set())
    level_one = [m for m in messages(b) if "第1级" in m[2]]
    assert len(level_one) == 3  # owner, leader, duty officer: once each, not again
    assert_rerun_changes_nothing(b, second)


def test_outbox_left_by_a_killed_process_is_sent_once(worlds: tuple[World, World]) -> None:
    a, b = worlds
    swept = DUE + timedelta(minutes=1)
    cycle(a.engine, swept, a.urls)
    # B's process was killed after the sweep committed and after its dispatcher claimed one
    # message (committed `sending`, before the send): the rows a SIGKILL leaves.
    sweep(b.engine, now=swept, ctx=CTX, batch_size=200)
    with session_scope(b.engine) as session:
        options = Dispatch()
        rule = breaker_rule(options)
        taken = claim(session, me="killed:1:x", now=swept, lanes=1, options=options, rule=rule)
        assert len(taken) == 1
    later = swept + timedelta(minutes=9)  # past the grace period and the sending lease
    assert stuck(b, later) == {StuckReason.OUTBOX_OVERDUE}
    assert not b.receiver.received
    cycle(a.engine, later, a.urls)
    rerun(b, later)

    assert_same(a, b, skip=DELIVERY)
    assert kinds(b)[EventKind.DELIVERED] == kinds(a)[EventKind.DELIVERED] == 3
    assert kinds(b)[EventKind.SEND_RECOVERED] == 1
    assert not b.receiver.repeats
    assert_rerun_changes_nothing(b, later)


def test_alerts_a_down_receiver_refused_are_delivered_by_the_rerun(
    worlds: tuple[World, World],
) -> None:
    a, b = worlds
    at = DUE + timedelta(minutes=1)
    cycle(a.engine, at, a.urls)
    b.receiver.refuse()
    once = Dispatch(attempts_per_channel=1)  # every channel failed: tried again in a while
    assert cycle(b.engine, at, b.urls, options=once)["failed"] == 3
    assert stuck(b, at) == {StuckReason.UNREACHABLE}
    b.receiver.recover()
    later = at + timedelta(minutes=2)
    cycle(a.engine, later, a.urls)
    repaired = rerun(b, later)  # now, not at the next round
    cycle(b.engine, later, b.urls)  # the office hears the three are reachable again

    assert len(repaired.rearmed) == 3
    # B's office was told, on no case, who could not be reached and who is reachable again.
    told = [m for m in messages(b) if m[1].startswith(("无法联系：", "恢复联系："))]
    assert {title for _, title, _ in told} == {
        f"{what}：{name}" for what in ("无法联系", "恢复联系") for name in ("王芳", "李强", "赵敏")
    }
    assert [m for m in messages(b) if m not in told] == messages(a)
    assert state(b) == state(a)
    assert timeline(b, skip=DELIVERY | {EventKind.RERUN}) == timeline(a, skip=DELIVERY)
    assert kinds(b)[EventKind.DELIVERED] == 3 and not b.receiver.repeats
    assert_rerun_changes_nothing(b, later)


def test_a_case_step_that_failed_is_listed_until_a_rerun_carries_it_out(
    worlds: tuple[World, World],
) -> None:
    a, b = worlds
    at = T0 + timedelta(minutes=10)
    for world in (a, b):  # 王芳 sends the quick report: its step tells the report targets
        _report(world.engine, world.case_id, at)
    carry_out(a, at)
    cycle(a.engine, at, a.urls)
    # In B the step's delivery failed after its retries, as the case flow records it.
    [(step_id, _)] = claim_steps(b.engine, case_id=b.case_id, now=at, failed=False)
    record_failure(b.engine, step_id=step_id, now=at, error="ConnectError: database went away")
    cycle(b.engine, at, b.urls)
    assert StuckReason.STEP_FAILED in stuck(b, at) and not stuck(a, at)
    rerun(b, at)

    assert not stuck(b, at)
    assert_same(a, b, skip={EventKind.STEP_FAILED})
    assert_rerun_changes_nothing(b, at + timedelta(minutes=1))


def _report(engine: Engine, case_id: int, at: Any) -> None:
    """The quick report recorded as an action records it: the change and its steps, in one
    transaction (`tasks.act.record_action`, without the people around it)."""
    from models.repo.stages import move

    with session_scope(engine) as session:
        change = move(
            session, "report", case_id=case_id, actor="wang", at=at, policy=POLICY,
            calendar=WorkCalendar.default(),
        )  # fmt: skip
        add_steps(session, case_id=case_id, notices=change.notices, at=at)


def test_rerun_of_a_healthy_case_changes_nothing(worlds: tuple[World, World]) -> None:
    a, _ = worlds
    cycle(a.engine, DUE + timedelta(minutes=1), a.urls)
    assert len(a.receiver.received) == 3
    # Nothing is due at +5 min: level 2 and the ack windows come later.
    assert_rerun_changes_nothing(a, DUE + timedelta(minutes=5))
    assert kinds(a)[EventKind.RERUN] == 0
