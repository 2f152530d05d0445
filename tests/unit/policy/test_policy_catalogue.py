"""The catalogue of actions and who may take them (pure): every action has a Chinese name, a
repository function and well-formed fields; the links are the catalogue's; each role's right
reaches where it was promised (the office everywhere, a unit its own cases and there its own
obligations, an outside contact only what is its own, a handed-on obligation only its new
holder); decisions follow the policy's approvers; every refusal is one Chinese sentence; and
times read one way (a midnight deadline as 24:00, 刚刚超时 in the minute after)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.policy.catalogue import (
    ALERT_LINKS,
    CATALOGUE,
    DECISION_LINKS,
    LINK_ACTIONS,
    OFFICE_ACTIONS,
    PAGES,
    label,
)
from models.policy.permissions import (
    ROLE_LABELS,
    ROLE_REACH,
    CaseFacts,
    ObligationFacts,
    Reach,
    RequestFacts,
    Standing,
    page_refusal,
    refusal,
)
from models.policy.roles import ROLES
from models.policy.wording import deadline_text, late_text, left_text
from models.repo.performers import PERFORMERS
from notifications.render import AlertFacts, render_alert

SCHOOL = CaseFacts(case_id=7, grade_label="一级", units=("school",))
OFFICE_DUTY = ObligationFacts("first_response", "首次回应", "office_staff")
UNIT_DUTY = ObligationFacts("verification", "核查反馈", "unit_responsible")
TZ = ZoneInfo("Asia/Shanghai")


def person(role: str, unit: str = "office", pid: str = "p1") -> Standing:
    return Standing(
        pid, "某人", unit, frozenset({role}), unit_name={"school": "市一中"}.get(unit, "")
    )


def test_every_action_has_a_name_a_summary_and_a_repository_function() -> None:
    assert set(PERFORMERS) == set(CATALOGUE)
    for name, spec in CATALOGUE.items():
        assert spec.name == name and spec.label and spec.summary and spec.label_en
        assert len({f.name for f in spec.fields}) == len(spec.fields)
    assert label("ack") == "签收" and label("ack", "en") == "Acknowledge"


def test_the_links_are_the_catalogues() -> None:
    assert (*ALERT_LINKS, *DECISION_LINKS) == LINK_ACTIONS
    assert ALERT_LINKS == ("ack", "complete", "extend", "reassign", "escalate", "upgrade")
    assert DECISION_LINKS == ("approve", "reject")


def test_every_role_has_a_name_and_a_reach() -> None:
    assert set(ROLE_LABELS) == set(ROLES) == set(ROLE_REACH)
    assert ROLE_REACH["unit_liaison"] is Reach.UNIT and ROLE_REACH["approver"] is Reach.OWN
    assert ROLE_REACH["duty_officer"] is Reach.OFFICE


@pytest.mark.parametrize(
    ("role", "unit", "duty", "allowed"),
    [
        ("office_staff", "office", OFFICE_DUTY, True),
        ("office_staff", "office", UNIT_DUTY, True),  # the office reaches every obligation
        ("unit_responsible", "school", UNIT_DUTY, True),
        ("unit_liaison", "school", UNIT_DUTY, True),  # the unit's team
        ("unit_responsible", "school", OFFICE_DUTY, False),  # not the unit's obligation
        ("unit_responsible", "school2", UNIT_DUTY, False),  # another unit's case
        ("approver", "office", OFFICE_DUTY, False),
        ("monitor", "office", OFFICE_DUTY, False),  # not a role that acknowledges
    ],
)
def test_acknowledging_reaches_where_the_role_does(
    role: str, unit: str, duty: ObligationFacts, allowed: bool
) -> None:
    found = refusal(CATALOGUE["ack"], person(role, unit), case=SCHOOL, obligation=duty)
    assert (found is None) is allowed, found


def test_an_obligation_handed_on_is_its_new_holders_alone_among_unit_roles() -> None:
    handed = ObligationFacts("verification", "核查反馈", "unit_responsible", "liuyang", "刘洋")
    school = person("unit_responsible", "school", pid="zhangwei")
    reason = refusal(CATALOGUE["complete"], school, case=SCHOOL, obligation=handed)
    assert reason == "事项“核查反馈”已转办给 刘洋，某人 不能完成"
    holder = person("unit_liaison", "school", pid="liuyang")
    assert refusal(CATALOGUE["complete"], holder, case=SCHOOL, obligation=handed) is None
    office = person("office_staff")
    assert refusal(CATALOGUE["complete"], office, case=SCHOOL, obligation=handed) is None


def test_case_actions_reach_the_units_own_case_and_say_why_not() -> None:
    verify = CATALOGUE["verify"]
    assert refusal(verify, person("unit_liaison", "school"), case=SCHOOL) is None
    other = refusal(verify, person("unit_liaison", "school2"), case=SCHOOL)
    assert other == "案件 7 不在 某人 的职责范围内，不能核查反馈"
    assert refusal(CATALOGUE["dispatch"], person("unit_responsible", "school"), case=SCHOOL) == (
        "某人（责任单位负责人）不能下发联系单"
    )


def test_a_decision_needs_an_approving_role_for_the_kind_and_grade() -> None:
    asked = RequestFacts(3, "statement", "通稿审定", ("principal_leader", "group_head"))
    assert refusal(CATALOGUE["approve"], person("group_head"), case=SCHOOL, request=asked) is None
    reason = refusal(CATALOGUE["reject"], person("leader_in_charge"), case=SCHOOL, request=asked)
    assert reason == "某人 无权审批一级案件的通稿审定（须由 主要领导、领导小组组长 审批）"


def test_the_offices_pages_and_actions_are_the_offices() -> None:
    school = person("unit_responsible", "school")
    assert page_refusal(PAGES["board"], school) is None
    assert (
        page_refusal(PAGES["stats"], school)
        == "统计只对办公室人员开放：某人（责任单位负责人）无权查看"
    )
    assert page_refusal(PAGES["register"], school) == "某人（责任单位负责人）不能人工登记"
    assert page_refusal(PAGES["stats"], person("operator")) is None
    assert set(OFFICE_ACTIONS) == {"judge", "rerun_report"}


def test_every_refusal_is_chinese_only() -> None:
    found = [
        refusal(spec, person(role, unit), case=SCHOOL, obligation=duty)
        for spec in CATALOGUE.values()
        if not spec.decision
        for role in ROLES
        for unit in ("school", "school2")
        for duty in (OFFICE_DUTY, UNIT_DUTY)
    ]
    reasons = {r for r in found if r}
    assert reasons and all(not any(c.isascii() and c.isalpha() for c in r) for r in reasons)


def test_a_deadline_at_midnight_reads_24_00_of_the_day_that_ends() -> None:
    midnight = datetime(2026, 12, 14, 16, 0, tzinfo=UTC)  # 2026-12-15 00:00 in Shanghai
    assert deadline_text(midnight, TZ) == "2026-12-14 24:00"
    assert deadline_text(midnight + timedelta(minutes=90), TZ) == "2026-12-15 01:30"


@pytest.mark.parametrize(
    ("late", "text"),
    [
        (timedelta(minutes=-125), "剩余 2小时5分钟"),
        (timedelta(0), "刚刚超时"),
        (timedelta(seconds=59), "刚刚超时"),
        (timedelta(minutes=1), "已超时 1分钟"),
        (timedelta(hours=3, minutes=2), "已超时 3小时2分钟"),
    ],
)
def test_the_time_left_reads_one_way(late: timedelta, text: str) -> None:
    due = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
    assert left_text(due, due + late)[0] == text
    if late >= timedelta(0):
        assert late_text(late) == text.replace("已超时 ", "超时 ")


def test_an_alert_sent_as_the_deadline_passes_says_just_overdue() -> None:
    facts = AlertFacts(
        notification_id="0" * 8 + "-0000-0000-0000-" + "0" * 12,
        case_id=1,
        case_title="某中学食堂投诉",
        grade_label="一级",
        obligation_title="快报",
        due_at=datetime(2026, 11, 22, 16, 0, tzinfo=UTC),  # 24:00 in Shanghai
        late_by=timedelta(0),
        level=1,
        level_label="责任人",
        recipient_name="王芳",
    )
    _, body = render_alert(facts, tz=TZ)
    assert "事项：快报，截止 2026-11-22 24:00，刚刚超时" in body and "0分钟" not in body


def test_the_readmes_role_table_is_the_catalogues() -> None:
    from pathlib import Path

    from models.policy.permissions import role_table
    from models.store.presets import default_policy

    policy = default_policy()
    approvers = {r for by in policy.approvers.values() for rs in by.values() for r in rs}
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    assert all(line in readme for line in role_table(approvers))
