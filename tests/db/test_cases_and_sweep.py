"""Cases, deadlines and the outbox on a real database (SQLite and PostgreSQL): what opening a
case writes, what a sweep writes in its one transaction, that a repeated sweep adds nothing, and
that an acknowledgement leaves the no-completion chain running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from models.policy import Stage, WorkCalendar
from models.policy.states import EventKind, NotificationStatus, ObligationStatus
from models.repo.cases import CaseError, case_obligations, case_timeline
from models.repo.directory import sync_directory
from models.repo.lapses import escalate_due
from models.repo.obligations import acknowledge
from models.repo.opening import open_case
from models.store.db import session_scope
from models.store.presets import default_policy
from models.store.tables import Case, Notification
from notifications.notices import deliver
from notifications.outbox.context import DeliveryContext
from settings import PersonConfig, UnitConfig

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
POLICY = default_policy()
CTX = DeliveryContext(policy=POLICY)
UNITS = [UnitConfig(id="office", name="办公室")]
PEOPLE = [
    PersonConfig(id="wang", name="王芳", unit="office", roles=["office_staff"], channels=["w"]),
    PersonConfig(id="li", name="李强", unit="office", roles=["leader_in_charge"], channels=["l"]),
    PersonConfig(id="zhao", name="赵敏", unit="office", roles=["duty_officer"], channels=["z"]),
    PersonConfig(id="chen", name="陈军", unit="office", roles=["principal_leader"], channels=["c"]),
]


def new_case(engine: Engine, *, grade: str = "一级") -> int:
    with session_scope(engine) as session:
        sync_directory(session, units=UNITS, people=PEOPLE)
        case = open_case(
            session,
            title="某中学食堂投诉",
            grade=grade,
            policy=POLICY,
            calendar=WorkCalendar.default(),
            discovered_at=T0,
        )
        assert case.id is not None
        return case.id


def sweep(engine: Engine, at: datetime) -> tuple[int, int]:
    """One sweep batch: the lapses and the alerts they cause, in one transaction."""
    with session_scope(engine) as session:
        result = escalate_due(
            session, now=at, policy=POLICY, routing=CTX.routing, quiet=None, batch_size=50
        )
        queued = deliver(session, result.notices, ctx=CTX, now=at)
    return result.levels_fired, queued


def outbox(engine: Engine) -> list[Notification]:
    with session_scope(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.key)).all())


@pytest.mark.parametrize(("grade", "minutes"), [("一级", 30), ("二级", 60), ("三级", 120)])
def test_opening_a_case_starts_the_quick_report_clock(
    engine: Engine, grade: str, minutes: int
) -> None:
    case_id = new_case(engine, grade=grade)
    with session_scope(engine) as session:
        quick = next(o for o in case_obligations(session, case_id) if o.key == "quick_report")
        kinds = [e.kind for e in case_timeline(session, case_id)]
    assert quick.due_at == T0 + timedelta(minutes=minutes)
    assert quick.due_at.tzinfo is not None and quick.due_at.utcoffset() == timedelta(0)
    assert quick.status == ObligationStatus.OPEN and quick.owner_role == "office_staff"
    assert kinds[0] == EventKind.OPENED and EventKind.OBLIGATION_OPENED in kinds


def test_stage_and_status_are_stored_as_text(engine: Engine) -> None:
    case_id = new_case(engine)
    with engine.connect() as connection:
        stage = connection.execute(
            text('SELECT stage FROM "case" WHERE id = :i'), {"i": case_id}
        ).scalar_one()
        status = connection.execute(text("SELECT DISTINCT status FROM obligation")).scalar_one()
    assert (stage, status) == ("detected", "open")


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), session_scope(engine) as session:
        session.add(
            Case(
                title="x",
                stage=Stage.detected,
                grade="g1",
                policy_id="default",
                discovered_at=datetime(2026, 1, 1),  # noqa: DTZ001 (naive on purpose)
                created_at=T0,
                updated_at=T0,
            )
        )


def test_nothing_fires_before_the_reminder_time(engine: Engine) -> None:
    new_case(engine)
    assert sweep(engine, T0 + timedelta(minutes=22)) == (0, 0)  # 75% of 30 min is 22.5
    assert outbox(engine) == []


def test_the_owner_is_reminded_at_75_percent_of_the_window(engine: Engine) -> None:
    new_case(engine)
    assert sweep(engine, T0 + timedelta(minutes=23)) == (0, 1)
    (reminder,) = outbox(engine)
    assert (reminder.recipient_id, reminder.chain, reminder.level) == ("wang", "reminder", 0)
    assert "快报即将到期" in reminder.subject and "剩余 7分钟" in reminder.body
    assert sweep(engine, T0 + timedelta(minutes=29)) == (0, 0)


def test_lapse_queues_one_alert_per_level_one_recipient(engine: Engine) -> None:
    case_id = new_case(engine)
    assert sweep(engine, T0 + timedelta(minutes=31)) == (1, 3)
    rows = outbox(engine)
    assert sorted(n.recipient_id for n in rows) == ["li", "wang", "zhao"]
    assert all(n.status == NotificationStatus.PENDING and n.level == 1 for n in rows)
    assert "快报已超时" in rows[0].subject and "已超时 1分钟" in rows[0].body
    with session_scope(engine) as session:
        lapse = [e for e in case_timeline(session, case_id) if e.kind == EventKind.DEADLINE_LAPSED]
    assert len(lapse) == 1 and lapse[0].data["recipients"] == ["wang", "li", "zhao"]


def test_a_repeated_sweep_adds_nothing(engine: Engine) -> None:
    new_case(engine)
    at = T0 + timedelta(minutes=31)
    sweep(engine, at)
    assert sweep(engine, at) == (0, 0)
    assert len(outbox(engine)) == 3


def test_the_next_repeat_climbs_to_level_two(engine: Engine) -> None:
    new_case(engine)
    sweep(engine, T0 + timedelta(minutes=31))
    fired, _ = sweep(engine, T0 + timedelta(minutes=46))  # 30 min + 15 min repeat
    assert fired == 1  # (the written report's own reminder is due by now too)
    level_two = [n for n in outbox(engine) if n.level == 2]
    assert [n.recipient_id for n in level_two] == ["chen"]


def test_acknowledgement_keeps_the_no_completion_chain_going(engine: Engine) -> None:
    case_id = new_case(engine)
    sweep(engine, T0 + timedelta(minutes=31))
    with session_scope(engine) as session:
        done = acknowledge(session, case_id=case_id, actor="王芳", at=T0 + timedelta(minutes=33))
    assert (done.obligation_key, done.data["acked_by"]) == ("quick_report", "王芳")
    assert sweep(engine, T0 + timedelta(minutes=50))[0] == 1  # level 2 of the quick report
    with session_scope(engine) as session:
        quick = next(o for o in case_obligations(session, case_id) if o.key == "quick_report")
    levels = sorted(n.level for n in outbox(engine) if n.obligation_id == quick.id)
    assert levels == [1, 1, 1, 2]
    assert (quick.status, quick.level) == (ObligationStatus.OPEN, 2)
    assert quick.acked_at == T0 + timedelta(minutes=33)


def test_acknowledging_twice_is_refused(engine: Engine) -> None:
    case_id = new_case(engine)
    with session_scope(engine) as session:
        acknowledge(session, case_id=case_id, actor="王芳", at=T0, obligation_key="quick_report")
    with pytest.raises(CaseError, match="已由 王芳 签收"), session_scope(engine) as session:
        acknowledge(session, case_id=case_id, actor="李强", at=T0, obligation_key="quick_report")


def test_acknowledging_an_unknown_case_is_refused(engine: Engine) -> None:
    with pytest.raises(CaseError, match="案件 999 不存在"), session_scope(engine) as session:
        acknowledge(session, case_id=999, actor="王芳", at=T0)
