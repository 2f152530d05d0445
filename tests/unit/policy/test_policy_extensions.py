"""Extensions need an approver; pauses stop named clocks for a typed reason and resuming adds
the paused span; the escalation arithmetic (reminder, ack window, chain levels)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.policy import (
    DueTime,
    Pause,
    PauseReason,
    Policy,
    PolicyError,
    ack_due,
    chain_level_at,
    escalation_times,
    extend_due,
    resume_due,
)
from tests.unit.policy.policy_support import local

DUE = DueTime(local("2026-03-02 12:00"))


def test_extension_with_approver() -> None:
    ext = extend_due(
        "verification",
        DUE,
        local("2026-03-02 18:00"),
        requested_by="单位联络员",
        reason="需外单位协查",
        approver="分管领导",
    )
    assert (ext.old_due, ext.new_due, ext.approver) == (
        DUE.at,
        local("2026-03-02 18:00"),
        "分管领导",
    )


@pytest.mark.parametrize(
    ("new", "reason", "approver", "match"),
    [
        ("2026-03-02 18:00", "需外单位协查", None, "审批人"),
        ("2026-03-02 18:00", "需外单位协查", " ", "审批人"),
        ("2026-03-02 18:00", "", "分管领导", "理由"),
        ("2026-03-02 11:00", "需外单位协查", "分管领导", "晚于"),
    ],
    ids=["no-approver", "blank-approver", "no-reason", "not-later"],
)
def test_extension_refused(new: str, reason: str, approver: str | None, match: str) -> None:
    with pytest.raises(PolicyError, match=match):
        extend_due(
            "verification", DUE, local(new), requested_by="联络员", reason=reason, approver=approver
        )


def test_pause_and_resume_adds_the_paused_span() -> None:
    pause = Pause(
        ("verification",), PauseReason.awaiting_outside_verification, local("2026-03-02 10:00")
    )
    resumed = resume_due(DUE, pause, local("2026-03-03 12:00"))
    assert resumed.at == DUE.at + timedelta(hours=26)


def test_pause_keeps_provisional_flag() -> None:
    pause = Pause(("review",), PauseReason.awaiting_higher_body, local("2027-03-02 10:00"))
    due = DueTime(local("2027-03-05 00:00"), provisional=True)
    assert resume_due(due, pause, local("2027-03-02 11:00")).provisional


def test_pause_needs_obligations_and_a_known_reason() -> None:
    with pytest.raises(PolicyError):
        Pause((), PauseReason.awaiting_higher_body, local("2026-03-02 10:00"))
    with pytest.raises(ValueError):
        PauseReason("holiday")


def test_resume_before_pause_is_refused() -> None:
    pause = Pause(("verification",), PauseReason.awaiting_higher_body, local("2026-03-02 10:00"))
    with pytest.raises(PolicyError):
        resume_due(DUE, pause, local("2026-03-02 09:00"))


def test_escalation_times_and_levels(policy: Policy) -> None:
    esc = policy.escalation_for("g2")
    times = escalation_times(DUE.at, esc, policy.chain)
    assert [(rung.level, at) for rung, at in times] == [
        (1, local("2026-03-02 12:00")),
        (2, local("2026-03-02 12:30")),
        (3, local("2026-03-02 13:00")),
    ]
    assert chain_level_at(DUE.at, local("2026-03-02 12:29"), esc, policy.chain).level == 1  # type: ignore[union-attr]
    assert ack_due(local("2026-03-02 12:00"), policy.escalation_for("g1")) == local(
        "2026-03-02 12:10"
    )
