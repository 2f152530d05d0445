"""The two chains on a moved clock, asserted on what a real local receiver got (through real
Apprise) and when: the no-acknowledgement chain (next channel → deputy or duty officer) versus
the no-completion chain (repeat levels), catch-up after downtime, dual reporting, the duty
roster, quiet hours holding 三级 only, and a storm merged per recipient."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine

from models.policy.escalation import QuietHours
from models.policy.routing import Routing, Shift
from models.policy.states import EventKind
from models.repo.obligations import acknowledge
from models.repo.reports.accountability import case_accountability
from models.store.db import session_scope
from settings import Dispatch
from tests.support.escalation import (
    CTX,
    ROLES,
    T0,
    cycle,
    events,
    hook_urls,
    ids_at,
    new_case,
    office,
)
from yuqing.localservers import WebhookReceiver

DUE = T0 + timedelta(minutes=30)
EVERYONE = ["wang", "li", "zhao", "chen", "sun", "qian", "wang2", "zhou"]


def paths(receiver: WebhookReceiver) -> Counter[str]:
    return Counter(path.removeprefix("/hook/") for path, _ in ids_at(receiver))


def test_no_completion_chain_climbs_a_level_each_repeat_interval(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {})
    new_case(engine)
    urls = hook_urls(receiver, EVERYONE)
    cycle(engine, DUE - timedelta(minutes=7), urls)  # the 75% reminder, owner only
    assert paths(receiver) == {"wang": 1}
    cycle(engine, DUE, urls)
    assert paths(receiver) == {"wang": 2, "li": 1, "zhao": 1}
    cycle(engine, DUE + timedelta(minutes=14), urls)  # quick report only: nothing new yet
    cycle(engine, DUE + timedelta(minutes=15), urls)  # 一级 repeat: 15 min → 催办
    cycle(engine, DUE + timedelta(minutes=30), urls)  # → 通报
    got = paths(receiver)
    assert (got["chen"], got["sun"]) == (1, 1)


def test_no_ack_chain_moves_to_the_next_channel_then_the_deputy(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(
        engine,
        {"wang": ["wang_hook", "wang2_hook"]},
        roles={**ROLES, "zhou": ["office_staff"]},
        deputies={"wang": "zhou"},
    )
    new_case(engine)
    urls = hook_urls(receiver, EVERYONE)
    cycle(engine, DUE, urls)  # level 1: wang, li, zhao (and zhou holds office_staff too)
    before = paths(receiver)
    cycle(engine, DUE + timedelta(minutes=9), urls)
    assert paths(receiver) == before  # 一级 ack window is 10 min
    # The window counts from the delivery, which the record times as it happened (a few
    # milliseconds after DUE): one second later it has passed.
    cycle(engine, DUE + timedelta(minutes=10, seconds=1), urls)
    assert paths(receiver)["wang2"] == 1  # wang's next channel
    assert not any(
        "未签收" in r.json()["title"] for r in receiver.received if r.path == "/hook/zhou"
    )
    cycle(engine, DUE + timedelta(minutes=20, seconds=2), urls)  # wang2's too: the deputy
    to_deputy = [r.json() for r in receiver.received if r.path == "/hook/zhou"]
    assert any("未签收" in m["title"] and "王芳" not in m["message"] for m in to_deputy)


def test_an_acknowledgement_stops_the_no_ack_chain(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {"wang": ["wang_hook", "wang2_hook"]})
    case_id = new_case(engine)
    urls = hook_urls(receiver, EVERYONE)
    cycle(engine, DUE, urls)
    with session_scope(engine) as session:
        acknowledge(session, case_id=case_id, actor="王芳", at=DUE + timedelta(minutes=5))
    cycle(engine, DUE + timedelta(minutes=11), urls)
    assert paths(receiver)["wang2"] == 0
    assert EventKind.ACK_OVERDUE not in {e.kind for e in events(engine, case_id)}


def test_catch_up_after_downtime_fires_every_missed_level_marked_late(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {})
    case_id = new_case(engine)
    urls = hook_urls(receiver, EVERYONE)
    result = cycle(engine, DUE + timedelta(hours=2), urls)  # yuqing was down for two hours
    assert result["levels_fired"] >= 3
    got = {
        r.path: r.json()["message"]
        for r in receiver.received
        if "事项：快报，" in r.json()["message"]
    }
    assert "已超时 2小时0分钟" in got["/hook/li"]  # level 1, due at the due time
    assert "已超时 1小时30分钟" in got["/hook/sun"]  # level 3, due 30 min after
    with session_scope(engine) as session:
        (record, done), *_ = case_accountability(session, case_id)
    assert (record.obligation_title, record.responsible, done) == ("快报", ["wang"], None)
    assert record.late_seconds == 2 * 3600 and record.flagged


def test_dual_reporting_tells_the_second_chain_at_the_same_time(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {}, roles={**ROLES, "qian": ["unit_responsible"]})
    new_case(engine, units=["office"])  # the unit's responsible person is qian
    dual = Routing(dual_grades=frozenset({"g1"}), second_chain=(("unit_responsible",),))
    ctx = replace(CTX, routing=dual)
    cycle(engine, DUE, hook_urls(receiver, EVERYONE), ctx=ctx)
    assert paths(receiver) == {"wang": 1, "li": 1, "zhao": 1, "qian": 1}


def test_the_duty_roster_overlays_the_duty_officer(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {}, roles={**ROLES, "qian": ["duty_officer"]})
    new_case(engine)
    shift = Shift("qian", "duty_officer", T0, T0 + timedelta(hours=12))
    cycle(
        engine,
        DUE,
        hook_urls(receiver, EVERYONE),
        ctx=replace(CTX, routing=Routing(shifts=(shift,))),
    )
    assert paths(receiver) == {"wang": 1, "li": 1, "qian": 1}  # zhao is off duty


def test_quiet_hours_hold_grade_three_only(engine: Engine, receiver: WebhookReceiver) -> None:
    office(engine, {})
    night = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    quiet = QuietHours(time(22, 0), time(7, 0), frozenset({"g3"}))
    ctx = replace(CTX, quiet=quiet)
    urls = hook_urls(receiver, EVERYONE)
    urgent = new_case(engine, grade="一级", at=night, title="一级夜间")
    calm = new_case(engine, grade="三级", at=night, title="三级夜间")
    cycle(engine, night + timedelta(hours=3), urls, ctx=ctx)  # 01:00: both quick reports lapsed
    titles = [r.json()["message"] for r in receiver.received]
    assert any("一级夜间" in t for t in titles) and not any("三级夜间" in t for t in titles)
    held = [e for e in events(engine, calm) if e.kind == EventKind.ESCALATION_HELD]
    assert len(held) == 1 and "07:00" in held[0].message
    assert not [e for e in events(engine, urgent) if e.kind == EventKind.ESCALATION_HELD]
    morning = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # 07:00
    cycle(engine, morning, urls, ctx=ctx)
    assert any("三级夜间" in r.json()["message"] for r in receiver.received)


def test_a_storm_reaches_each_person_merged_within_the_rate_limit(
    engine: Engine, receiver: WebhookReceiver
) -> None:
    office(engine, {})
    for n in range(12):
        new_case(engine, title=f"案件{n}")
    options = Dispatch(per_recipient_per_minute=3, batch_max=10)
    urls = hook_urls(receiver, EVERYONE)
    cycle(engine, DUE, urls, options=options)
    per_person = Counter(r.path for r in receiver.received)
    # 12 alerts each over a limit of 3 a minute: merged as full as a message may be (10),
    # spread evenly: two messages of six, the minute's third message left for what follows
    assert per_person == {"/hook/wang": 2, "/hook/li": 2, "/hook/zhao": 2}
    alerts = ids_at(receiver)
    assert len(alerts) == 36 and len(set(alerts)) == 36  # 12 lapses × 3 people, each once
    assert any("合并发送" in r.json()["title"] for r in receiver.received)
