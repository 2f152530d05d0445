"""Truth table of ``apply_event`` over every (stage, event) pair of the full template, plus
template skipping, aftercare reopening and the obligations each event opens and closes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.policy import (
    IllegalTransition,
    Policy,
    PolicyError,
    Stage,
    StageEvent,
    StageTemplate,
    apply_event,
)
from models.policy.stages import EVENT_LABELS, STAGE_LABELS
from models.store.presets import load_preset
from tests.unit.policy.policy_support import local

S, E = Stage, StageEvent
LEGAL = {
    (S.detected, E.report): S.reported,
    (S.reported, E.assess): S.assessed,
    (S.assessed, E.dispatch): S.dispatched,
    (S.dispatched, E.verify): S.verified,
    (S.verified, E.approve_statement): S.statement_approved,
    (S.statement_approved, E.respond): S.responded,
    (S.responded, E.track): S.tracking,
    (S.tracking, E.close): S.closed,
    (S.closed, E.review): S.reviewed,
    (S.closed, E.reopen): S.tracking,
    (S.reviewed, E.reopen): S.tracking,
}
PAIRS = [(s, e) for s in Stage for e in StageEvent]
AT = local("2026-03-02 10:00")


def _id(pair: tuple[Stage, StageEvent]) -> str:
    stage, event = pair
    target = LEGAL.get(pair)
    return f"{stage}--{event}->{target}" if target else f"{stage}--{event}-illegal"


def test_truth_table_covers_every_pair() -> None:
    assert len(PAIRS) == len(Stage) * len(StageEvent) == 100


@pytest.mark.parametrize("pair", PAIRS, ids=[_id(p) for p in PAIRS])
def test_apply_event_truth_table(pair: tuple[Stage, StageEvent], policy: Policy) -> None:
    stage, event = pair
    if pair in LEGAL:
        result = apply_event(stage, event, at=AT, policy=policy)
        assert (result.from_stage, result.to_stage, result.event) == (stage, LEGAL[pair], event)
        assert result.at == AT
        assert result.notifications
    else:
        with pytest.raises(IllegalTransition) as info:
            apply_event(stage, event, at=AT, policy=policy)
        message = str(info.value)  # in the office's words: the stage's and the action's names
        assert STAGE_LABELS[stage] in message and EVENT_LABELS[event] in message
        assert "不能" in message and "illegal" not in message and "<" not in message


EFFECTS = {
    # event: (opened, closed, cancelled) for grade 一级 of the default policy
    E.report: ((), ("quick_report",), ()),
    E.assess: (("contact_sheet",), (), ()),
    E.dispatch: (("verification", "handling_completed"), ("contact_sheet",), ()),
    E.verify: ((), ("verification",), ()),
    E.approve_statement: ((), (), ()),
    E.respond: ((), ("first_response",), ()),
    E.track: ((), (), ()),
    E.close: (("review",), ("handling_completed",), ()),
    E.review: ((), ("review",), ()),
    E.reopen: ((), (), ("review",)),
}


@pytest.mark.parametrize("event", list(EFFECTS), ids=[e.value for e in EFFECTS])
def test_obligations_opened_and_closed_by_each_event(event: StageEvent, policy: Policy) -> None:
    stage = next(s for (s, e) in LEGAL if e is event)
    result = apply_event(stage, event, at=AT, policy=policy, grade="一级")
    opened, closed, cancelled = EFFECTS[event]
    assert result.obligations_to_open == opened
    assert result.obligations_to_close == closed
    assert result.obligations_to_cancel == cancelled


def test_closing_a_third_grade_case_opens_no_review(policy: Policy) -> None:
    result = apply_event(S.tracking, E.close, at=AT, policy=policy, grade="g3")
    assert result.obligations_to_open == ()


def test_report_notifies_office_head_and_duty_officer(policy: Policy) -> None:
    result = apply_event(S.detected, E.report, at=AT, policy=policy)
    assert {"office_head", "duty_officer"} <= set(result.notifications)


def test_reopen_inside_aftercare_window(policy: Policy) -> None:
    closed_at = local("2026-03-02 10:00")
    result = apply_event(
        S.closed, E.reopen, at=closed_at + timedelta(days=6), policy=policy, closed_at=closed_at
    )
    assert result.to_stage is S.tracking


def test_reopen_after_aftercare_window_is_refused(policy: Policy) -> None:
    closed_at = local("2026-03-02 10:00")
    with pytest.raises(IllegalTransition, match="善后"):
        apply_event(
            S.closed, E.reopen, at=closed_at + timedelta(days=8), policy=policy, closed_at=closed_at
        )


def test_string_stage_and_event_are_accepted(policy: Policy) -> None:
    assert apply_event("detected", "report", at=AT, policy=policy).to_stage is S.reported


def test_unknown_event_name_is_an_illegal_transition(policy: Policy) -> None:
    with pytest.raises(IllegalTransition, match="approve"):
        apply_event("detected", "approve", at=AT, policy=policy)


def test_naive_event_time_is_refused(policy: Policy) -> None:
    with pytest.raises(PolicyError):
        apply_event(S.detected, E.report, at=AT.replace(tzinfo=None), policy=policy)


def test_s1_12_template_has_no_statement_approval() -> None:
    s112 = load_preset("s1-12")
    with pytest.raises(IllegalTransition, match="没有“通稿审定”阶段") as info:
        apply_event(S.reported, E.approve_statement, at=AT, policy=s112)
    assert info.value.event == E.approve_statement
    assert apply_event(S.reported, E.respond, at=AT, policy=s112).to_stage is S.responded


def test_stage_outside_template_is_refused() -> None:
    s112 = load_preset("s1-12")
    with pytest.raises(IllegalTransition, match="案件处于“核查”阶段") as info:
        apply_event(S.verified, E.respond, at=AT, policy=s112)
    assert info.value.stage == S.verified


def test_optional_stage_may_be_skipped() -> None:
    s14 = load_preset("s1-4")
    assert apply_event(S.assessed, E.approve_statement, at=AT, policy=s14).to_stage is (
        S.statement_approved
    )
    assert apply_event(S.assessed, E.dispatch, at=AT, policy=s14).to_stage is S.dispatched


def test_mandatory_stage_may_not_be_skipped(policy: Policy) -> None:
    with pytest.raises(IllegalTransition):
        apply_event(S.assessed, E.verify, at=AT, policy=policy)


def test_template_without_tracking_reopens_to_stage_before_closed() -> None:
    template = StageTemplate("short", (S.detected, S.reported, S.responded, S.closed))
    assert template.target(S.closed, E.reopen) is S.responded


@pytest.mark.parametrize(
    "stages",
    [
        (S.reported, S.closed),
        (S.detected, S.assessed, S.reported, S.closed),
        (S.detected, S.reported),
        (S.detected, S.reported, S.reported, S.closed),
    ],
    ids=["no-detected", "out-of-order", "no-closed", "duplicate"],
)
def test_bad_templates_are_refused(stages: tuple[Stage, ...]) -> None:
    with pytest.raises(PolicyError):
        StageTemplate("bad", stages)
