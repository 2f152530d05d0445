"""Parsing policies: the default matrix equals DESIGN §4–§5, every problem is reported with
its path, blanked seed numbers need overrides, and policy files report TOML errors by line."""

from __future__ import annotations

import copy
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from models.policy import (
    OWNER,
    Anchor,
    Clock,
    EscalationRule,
    Policy,
    PolicyError,
    PolicyInvalid,
    parse_policy,
)
from models.store.presets import PRESETS_DIR, load_policy_file, load_preset

MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)

# DESIGN §4: (key, anchor, {grade: amount}) where amount is a timedelta (wall) or
# ("wd", n) for working days; a missing grade means "—".
MATRIX: list[tuple[str, Anchor, dict[str, Any]]] = [
    ("quick_report", Anchor.discovery, {"g1": 30 * MIN, "g2": HOUR, "g3": 2 * HOUR}),
    ("written_report", Anchor.discovery, {"g1": HOUR, "g2": 4 * HOUR}),
    ("contact_sheet", Anchor.assessment, {"g1": 30 * MIN, "g2": HOUR, "g3": 2 * HOUR}),
    (
        "verification",
        Anchor.contact_sheet_received,
        {"g1": 3 * HOUR, "g2": 12 * HOUR, "g3": ("wd", 1)},
    ),
    ("first_response", Anchor.discovery, {"g1": 3 * HOUR, "g2": 5 * HOUR, "g3": 24 * HOUR}),
    ("authoritative_info", Anchor.discovery, {"g1": 5 * HOUR, "g2": 12 * HOUR, "g3": 48 * HOUR}),
    ("press_conference", Anchor.discovery, {"g1": 24 * HOUR}),
    (
        "handling_completed",
        Anchor.contact_sheet_received,
        {"g1": ("wd", 5), "g2": ("wd", 5), "g3": ("wd", 5)},
    ),
    ("review", Anchor.closure, {"g1": ("wd", 3), "g2": ("wd", 3)}),
]


@pytest.mark.parametrize("row", MATRIX, ids=[r[0] for r in MATRIX])
def test_default_policy_is_the_design_matrix(
    row: tuple[str, Anchor, dict[str, Any]], policy: Policy
) -> None:
    key, anchor, cells = row
    for grade in ("g1", "g2", "g3"):
        found = [r for r in policy.obligations_for(grade) if r.key == key]
        if grade not in cells:
            assert found == [], f"{key} should be — at {grade}"
            continue
        rule = found[0]
        assert rule.anchor is anchor and rule.source
        if isinstance(cells[grade], timedelta):
            assert (rule.clock, rule.duration, rule.days) == (Clock.wall, cells[grade], None)
        else:
            assert (rule.clock, rule.days, rule.duration) == (
                Clock.working_days,
                cells[grade][1],
                None,
            )


def test_default_policy_escalation_and_chain(policy: Policy) -> None:
    assert policy.escalation_for("g1") == EscalationRule(10 * MIN, 15 * MIN, 0.75, "DESIGN §5")
    assert policy.escalation_for("二级").ack_window == 30 * MIN
    assert policy.escalation_for("g3").repeat_interval == 2 * HOUR
    assert [c.level for c in policy.chain] == [1, 2, 3]
    assert policy.chain[0].roles == (OWNER, "leader_in_charge", "duty_officer")
    assert policy.chain[0].recipients("unit_responsible") == (
        "unit_responsible",
        "leader_in_charge",
        "duty_officer",
    )
    assert policy.chain[1].roles == ("principal_leader", "office_head")
    assert policy.chain[2].roles == ("group_head",)


def test_default_policy_header(policy: Policy) -> None:
    assert (policy.id, policy.timezone, policy.scheme.id) == (
        "default",
        "Asia/Shanghai",
        "three_grade",
    )
    assert policy.obligations_for("g1")[0].key == "quick_report"
    assert policy.rule("一级", "press_conference").source == "国办发〔2016〕80号"


def test_rule_lookup_of_missing_obligation(policy: Policy) -> None:
    with pytest.raises(PolicyError, match="press_conference"):
        policy.rule("g3", "press_conference")


def _default_data() -> dict[str, Any]:
    return tomllib.loads((PRESETS_DIR / "default.toml").read_text(encoding="utf-8"))


def _problems(data: dict[str, Any], **kw: Any) -> list[str]:
    with pytest.raises(PolicyInvalid) as info:
        parse_policy(data, origin="test", **kw)
    return info.value.problems


def test_parse_of_the_bundled_file_equals_default_policy(policy: Policy) -> None:
    assert parse_policy(_default_data(), origin=policy.origin) == policy


BROKEN = [
    (
        "zero-duration",
        ("obligations", "g1", "quick_report", "duration"),
        "0min",
        "obligations.g1.quick_report.duration: must be > 0",
    ),
    (
        "bad-duration",
        ("obligations", "g2", "quick_report", "duration"),
        "soon",
        "obligations.g2.quick_report.duration: 无效时长",
    ),
    (
        "zero-days",
        ("obligations", "g1", "handling_completed", "days"),
        0,
        "obligations.g1.handling_completed.days: must be > 0",
    ),
    (
        "unknown-anchor",
        ("rules", "quick_report", "anchor"),
        "rumour",
        "obligations.g1.quick_report.anchor: 无效取值",
    ),
    (
        "unknown-role",
        ("rules", "review", "owner_role"),
        "boss",
        "obligations.g1.review.owner_role: 未知角色",
    ),
    (
        "unknown-clock",
        ("obligations", "g3", "verification", "clock"),
        "lunar",
        "obligations.g3.verification.clock: 无效取值",
    ),
    ("unknown-grade", ("obligations", "g9"), {}, "obligations.g9: 未知等级"),
    ("bad-timezone", ("timezone",), "Mars/Olympus", "timezone: 未知时区"),
    (
        "bad-ack-window",
        ("escalation", "g1", "ack_window"),
        "-5min",
        "escalation.g1.ack_window: 无效时长",
    ),
    (
        "bad-fraction",
        ("escalation", "g2", "reminder_fraction"),
        1.5,
        "escalation.g2.reminder_fraction",
    ),
    ("unknown-key", ("colour",), "red", "colour: 未知字段"),
    ("unknown-scheme", ("scheme",), "five_grade", "scheme: 未知分级方案"),
    ("bad-closing-time", ("closing_time",), "late", "closing_time: 无效时刻"),
]


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    table = data
    for part in path[:-1]:
        table = table[part]
    table[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_each_problem_names_its_path(path: tuple[str, ...], value: Any, expected: str) -> None:
    data = _default_data()
    _set(data, path, value)
    assert any(p.startswith(expected) for p in _problems(data)), _problems(data)


def test_every_problem_is_reported_at_once() -> None:
    data = _default_data()
    for path, value in [(b[1], b[2]) for b in BROKEN[:6]]:
        _set(data, path, value)
    problems = _problems(data)
    assert len(problems) >= 6


def test_missing_escalation_for_a_grade() -> None:
    data = _default_data()
    del data["escalation"]["g3"]
    assert "escalation.g3: 缺少此等级的督办规则 / missing for this grade" in _problems(data)


def test_missing_source_citation() -> None:
    data = _default_data()
    del data["obligations"]["g1"]["quick_report"]["source"]
    assert "obligations.g1.quick_report.source: 缺少此项 / missing" in _problems(data)


def test_chain_roles_and_levels() -> None:
    data = _default_data()
    data["chain"][1]["roles"] = ["mayor"]
    data["chain"][2]["level"] = 7
    problems = _problems(data)
    assert any(p.startswith("chain[1].roles: 未知角色") for p in problems)
    assert any(p.startswith("chain[2].level") for p in problems)


def test_template_order_is_checked() -> None:
    data = _default_data()
    data["template"] = {"id": "odd", "stages": ["detected", "closed", "reported"]}
    assert any(p.startswith("template.stages") for p in _problems(data))


def test_closed_by_event_must_target_a_template_stage() -> None:
    data = _default_data()
    data["template"] = {"id": "short", "stages": ["detected", "reported", "closed"]}
    problems = _problems(data)
    assert any(p.startswith("obligations.g1.contact_sheet.closed_by") for p in problems)


def test_wall_rule_with_days_is_refused() -> None:
    data = _default_data()
    data["obligations"]["g1"]["quick_report"]["days"] = 1
    assert any(p.startswith("obligations.g1.quick_report.days") for p in _problems(data))


def test_blank_number_requires_override_and_cites_seed() -> None:
    problems = [p for p in _blank_problems() if p.startswith("obligations.g1.upward_report")]
    assert len(problems) == 1
    assert "特别重大舆情务必x小时内上报" in problems[0] and "S1-6" in problems[0]
    assert "overrides" in problems[0]


def _blank_problems() -> list[str]:
    with pytest.raises(PolicyInvalid) as info:
        load_preset("s1-6")
    return info.value.problems


S16_OVERRIDES = {
    "obligations.g1.upward_report.duration": "1h",
    "obligations.g2.upward_report.duration": "2h",
    **{f"obligations.g{g}.golden_hours.duration": "2h" for g in (1, 2, 3, 4)},
}


def test_blank_numbers_supplied_by_overrides() -> None:
    s16 = load_preset("s1-6", S16_OVERRIDES)
    assert s16.rule("特别重大", "upward_report").duration == HOUR
    assert s16.rule("重大", "upward_report").duration == 2 * HOUR


def test_override_of_a_blank_with_a_bad_value() -> None:
    with pytest.raises(PolicyInvalid) as info:
        load_preset("s1-6", {**S16_OVERRIDES, "obligations.g1.upward_report.duration": "0h"})
    assert info.value.problems == [
        "obligations.g1.upward_report.duration: must be > 0 / 时长必须大于 0"
    ]


def test_override_path_must_exist() -> None:
    problems = _problems(_default_data(), overrides={"obligations.g7.x.duration": "1h"})
    assert any("overrides['obligations.g7.x.duration']" in p for p in problems)


def test_override_changes_a_number() -> None:
    parsed = parse_policy(
        _default_data(), origin="t", overrides={"obligations.g1.quick_report.duration": "20min"}
    )
    assert parsed.rule("g1", "quick_report").duration == 20 * MIN


def test_input_mapping_is_not_mutated() -> None:
    data = _default_data()
    before = copy.deepcopy(data)
    parse_policy(data, origin="t", overrides={"obligations.g1.quick_report.duration": "20min"})
    assert data == before


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x"\ntitle = "y"\n[rules\n', encoding="utf-8")
    with pytest.raises(PolicyInvalid) as info:
        load_policy_file(broken)
    assert info.value.problems[0].startswith(f"{broken}:3: TOML 语法错误")


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyInvalid, match="无法读取"):
        load_policy_file(tmp_path / "nope.toml")


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(PolicyError, match="s1-4"):
        load_preset("s9-9")


def test_inline_scheme_problems_are_reported() -> None:
    data = _default_data()
    data["scheme"] = {
        "id": "mine",
        "title": "自定义",
        "levels": [
            {"id": "g1", "label": "一级", "rank": 1, "any": [{"clicks_min": "many"}]},
            {"id": "g2", "label": "一级", "rank": 1, "any": [{"likes_min": 3}]},
        ],
    }
    problems = _problems(data)
    assert any(p.startswith("scheme.levels[0].any[0].clicks_min") for p in problems)
    assert any(p.startswith("scheme.levels[1].any[0].likes_min") for p in problems)
    assert any("重复" in p for p in problems)
