"""The figures as truth tables: how one deadline is classed, the on-time rate, nearest-rank
quantiles, which unit answers for a deadline, the overdue units ranked, counts of cases, grade
changes up and down by rank, decisions and referrals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.reports.changes import count_decisions, count_referrals, count_regrades
from models.reports.figures import Cell, Met, SlaTally, classify, count_cases, nearest_rank, rate
from models.reports.rows import (
    NO_UNIT,
    ApprovalRow,
    CaseRow,
    GradeChange,
    ObligationRow,
    ReferralRow,
    epoch,
)

DUE_AT = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)
AS_OF_AT = DUE_AT + timedelta(hours=2)
DUE, AS_OF = epoch(DUE_AT), epoch(AS_OF_AT)  # deadline rows carry seconds since the epoch
EARLY, LATE, AFTER = DUE - 60, DUE + 60, AS_OF + 86400


@pytest.mark.parametrize(
    ("status", "due", "completed", "level", "met"),
    [
        ("completed", DUE, EARLY, 0, Met.ON_TIME),
        ("completed", DUE, DUE, 0, Met.ON_TIME),  # at the due time is on time
        ("completed", DUE, LATE, 1, Met.LATE),
        ("completed", DUE, AFTER, 1, Met.UNMET),  # done after the as-of time: not yet done
        ("open", DUE, None, 1, Met.UNMET),
        ("open", AS_OF, None, 0, Met.PENDING),  # due exactly at as-of: not past due yet
        ("open", AFTER, None, 0, Met.PENDING),
        ("cancelled", DUE, None, 0, Met.CANCELLED),  # cancelled before it lapsed
        ("cancelled", DUE, None, 2, Met.UNMET),  # cancelled after its escalation fired
    ],
)
def test_classify(status: str, due: float, completed: float | None, level: int, met: Met) -> None:
    assert (
        classify(status=status, due_at=due, completed_at=completed, as_of=AS_OF, level=level) is met
    )


@pytest.mark.parametrize(
    ("on_time", "late", "unmet", "expected"),
    [(0, 0, 0, None), (3, 0, 0, 1.0), (1, 1, 2, 0.25), (0, 2, 0, 0.0)],
)
def test_rate(on_time: int, late: int, unmet: int, expected: float | None) -> None:
    assert rate(on_time, late, unmet) == expected


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([4.0, 1.0], 0.5, 1.0),  # the lower middle: ⌈0.5·2⌉ = 1st
        ([3.0, 1.0, 2.0], 0.5, 2.0),
        ([float(n) for n in range(1, 11)], 0.9, 9.0),  # ⌈0.9·10⌉ = 9th
        ([float(n) for n in range(1, 12)], 0.9, 10.0),  # ⌈9.9⌉ = 10th
    ],
)
def test_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert nearest_rank(values, q) == expected


def row(
    key: str = "quick_report",
    *,
    grade: str = "g1",
    owner: str = "office_staff",
    status: str = "open",
    due: float = DUE,
    done: float | None = None,
    acked: float | None = None,
    lead: str | None = None,
    units: str | None = None,
    level: int = 0,
) -> ObligationRow:
    return ObligationRow(
        case_id=1,
        key=key,
        title=key.upper(),
        grade=grade,
        owner_role=owner,
        status=status,
        anchor_at=DUE - 3600,
        due_at=due,
        acked_at=acked,
        completed_at=done,
        lead_unit=lead,
        units_text=units,
        level=level,
    )


@pytest.mark.parametrize(
    ("obligation", "unit"),
    [
        (row(owner="unit_responsible", lead="edu", units='["health", "edu"]'), "edu"),
        (row(owner="unit_liaison", units='["health", "edu"]'), "health"),  # no lead: the first
        (row(owner="unit_responsible"), NO_UNIT),
        (row(owner="unit_responsible", units="not json"), NO_UNIT),
        (row(owner="office_staff", lead="edu"), "office"),  # the office's own deadline
        (row(owner="group_head"), NO_UNIT),  # nobody holds the role
    ],
)
def test_who_answers_for_a_deadline(obligation: ObligationRow, unit: str) -> None:
    assert obligation.unit({"office_staff": "office"}) == unit


def test_tally_counts_each_group_and_ranks_the_overdue_units() -> None:
    tally = SlaTally(as_of=AS_OF_AT, role_units={"office_staff": "office"}).add_all(
        [
            row(status="completed", done=EARLY, acked=EARLY - 1800),
            row(status="completed", done=LATE, level=1),
            row("verification", owner="unit_responsible", lead="edu", level=1),  # unmet
            row(
                "verification",
                owner="unit_responsible",
                lead="edu",
                status="completed",
                done=LATE,
                grade="g2",
            ),
            row(
                "verification",
                owner="unit_responsible",
                lead="health",
                status="completed",
                done=EARLY,
                grade="g2",
            ),
            row("review", status="cancelled"),
            row("review", due=AFTER),  # pending
            row(acked=AFTER),  # an acknowledgement after the as-of time did not happen yet
        ]
    )
    assert tally.by_rule[("quick_report", "g1")] == Cell(due=3, on_time=1, late=1, unmet=1)
    assert tally.by_rule[("verification", "g2")] == Cell(due=2, on_time=1, late=1)
    assert tally.by_rule[("review", "g1")] == Cell(due=1, pending=1, cancelled=1)
    assert tally.total == Cell(due=7, on_time=2, late=2, unmet=2, pending=1, cancelled=1)
    assert tally.total.rate == pytest.approx(2 / 6)
    # Two lapses each: the lower on-time rate first (edu 0 of 2, the office 1 of 3).
    assert [(unit, c.lapsed) for unit, c in tally.overdue_units()] == [("edu", 2), ("office", 2)]
    assert tally.by_unit["health"] == Cell(due=1, on_time=1)
    assert tally.overall.ack == [1740.0]  # 29 minutes after the anchor, once
    assert sorted(tally.durations["quick_report"].done) == [3540.0, 3660.0]


def case(
    case_id: int,
    grade: str,
    *,
    units: tuple[str, ...] = (),
    category: str | None = None,
    source: str | None = None,
) -> CaseRow:
    return CaseRow(
        id=case_id,
        title=f"案{case_id}",
        grade=grade,
        category=category,
        stage="detected",
        units=units,
        lead_unit=None,
        outcome=None,
        discovered_at=DUE_AT,
        closed_at=None,
        source=source,
    )


def test_cases_are_counted_by_grade_category_source_and_each_unit() -> None:
    counts = count_cases(
        [
            case(1, "g1", units=("edu", "health"), category="rumour", source="论坛"),
            case(2, "g3", units=("edu",), category="rumour"),
            case(3, "g3"),
        ]
    )
    assert counts.total == 3
    assert counts.by_grade == {"g1": 1, "g3": 2}
    assert counts.by_category == {"rumour": 2, "": 1}
    assert counts.by_source == {"论坛": 1, "": 2}
    assert counts.by_unit == {"edu": 2, "health": 1, NO_UNIT: 1}


def test_grade_changes_are_up_or_down_by_rank() -> None:
    ranks = {"g1": 1, "g2": 2, "g3": 3}
    changes = [
        GradeChange(1, DUE_AT, "g3", "g2", "system"),  # automatic upgrade
        GradeChange(1, DUE_AT, "g2", "g1", "wangfang"),
        GradeChange(2, DUE_AT, "g1", "g3", "wangfang"),  # downgrade
        GradeChange(3, DUE_AT, "g2", "g2", "wangfang"),  # no change
        GradeChange(4, DUE_AT, "g1", "mystery", "system"),  # unknown ranks last: a downgrade
    ]
    counted = count_regrades(changes, ranks)
    assert (counted.upgrades, counted.automatic_upgrades, counted.downgrades) == (2, 1, 2)


def test_decisions_and_referrals() -> None:
    decisions = count_decisions(
        [
            ApprovalRow(1, "extension", "approved", DUE_AT, DUE_AT),
            ApprovalRow(1, "extension", "rejected", DUE_AT, DUE_AT),
            ApprovalRow(2, "extension", "approved", DUE_AT, DUE_AT),
            ApprovalRow(2, "downgrade", "rejected", DUE_AT, DUE_AT),
            ApprovalRow(3, "statement", "pending", DUE_AT, None),
        ]
    )
    assert (decisions.granted("extension"), decisions.refused("extension")) == (2, 1)
    assert (decisions.granted("downgrade"), decisions.refused("downgrade")) == (0, 1)
    assert decisions.pending == {"statement": 1}
    referrals = count_referrals(
        [
            ReferralRow(1, "discipline", DUE_AT),
            ReferralRow(2, "discipline", DUE_AT),
            ReferralRow(2, "public_security", DUE_AT),
        ]
    )
    assert referrals == {"discipline": 2, "public_security": 1}


def test_rate_of_an_empty_cell_is_none() -> None:
    assert Cell().rate is None
