"""Who each seed tells and who it lets decide, written from the seed's own text (the section
cited beside each row), in the project's role names — independent of the presets, so a preset
that drifts from its seed fails the tests that read this table (`tests/unit/policy/
test_policy_presets.py`, `tests/e2e/test_preset_scenarios.py`). A preset or grade missing here
follows the product's defaults (DESIGN §4–§6): its seed says nothing about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from models.policy.grades import GradeScheme


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    cite: str


def rule(cite: str, *roles: str) -> Rule:
    return Rule(frozenset(roles), cite)


@dataclass(frozen=True)
class Seed:
    report: dict[str, Rule] = field(default_factory=dict)  # grade label → 快报 targets
    statement: dict[str, Rule] = field(default_factory=dict)  # grade label → 通稿 approvers
    review: Rule | None = None  # told of the 总结评估 (评估反馈)
    top_chain: Rule | None = None  # the last level of the default escalation chain

    @staticmethod
    def at(rows: Mapping[str, Rule], scheme: GradeScheme, grade: str) -> Rule | None:
        """The row for `grade` (a row may name it by id, label or alias)."""
        wanted = scheme.level(grade).id
        return next((r for name, r in rows.items() if scheme.level(name).id == wanted), None)


OFFICE_ONLY = ("office_head", "office_staff")
SEEDS: dict[str, Seed] = {
    "s0-7": Seed(
        report={
            "特别重大": rule(
                "S0-7 第三步（报局领导小组，特别重大报市委宣传部）；"
                "五.1（组长向市委、市政府主要领导请示）",
                "group_head",
                "propaganda_dept",
                "party_committee",
                "government_leader",
            ),
            "重大或较大": rule(
                "S0-7 五.2（上报市政府分管领导、市委宣传部）",
                "group_head",
                "government_leader",
                "propaganda_dept",
            ),
            "一般": rule(
                "S0-7 五.3（领导小组直接领导、办公室具体负责）", "group_head", "office_head"
            ),
        },
        statement={
            grade: rule(
                "S0-7 第五步（通稿经市委市政府、市委宣传部或局领导小组同意）",
                "party_committee",
                "government_leader",
                "propaganda_dept",
                "group_head",
            )
            for grade in ("特别重大", "重大或较大", "一般")
        },
    ),
    "s1-1": Seed(
        report={
            grade: rule(
                "S1-1 四(二)（报告市局科教编研科，由其报告分管领导、主要领导）",
                "office_head",
                "leader_in_charge",
                "principal_leader",
            )
            for grade in ("一级", "三级")
        },
    ),
    "s1-2": Seed(
        report={
            grade: rule("S1-2 四(一)（第一时间报送领导小组办公室）", *OFFICE_ONLY)
            for grade in ("一级", "三级")
        },
        statement={
            "一级": rule("S1-2 四(二)（重大事件报上级有关部门审定）", "superior_group"),
            "三级": rule("S1-2 四(二)（报领导小组办公室主任审定）", "office_head"),
        },
    ),
    "s1-4": Seed(
        report={
            "一级": rule(
                "S1-4§13（手机快报市局主要领导，上级局向省报告）",
                "principal_leader",
                "superior_group",
            ),
        },
        statement={
            "一级": rule(
                "S1-4§21（工作专班或局党委宣传部门审定）", "propaganda_dept", "principal_leader"
            ),
            "二级": rule("S1-4§21（领导小组办公室审定）", "office_head"),
            "三级": rule("S1-4§21（部门分管领导审定）", "leader_in_charge"),
        },
    ),
    "s1-5": Seed(
        report={
            "一级": rule(
                "S1-5 四(一)（报送领导小组办公室）；六(二)（重要舆情向镇有关领导报告）；"
                "六(一)（带班值班）",
                *OFFICE_ONLY,
                "duty_officer",
                "leader_in_charge",
                "principal_leader",
            ),
            "三级": rule("S1-5 四(一)；六(一)", *OFFICE_ONLY, "duty_officer"),
        },
        statement={
            "一级": rule("S1-5 四(二)（重大事件报上级有关部门审定）", "superior_group"),
            "三级": rule("S1-5 四(二)（报领导小组组长审定）", "group_head"),
        },
    ),
    "s1-6": Seed(
        report={
            "特别重大": rule(
                "S1-6 报告（上报党组、上级部门和县xx办＝县网信办）",
                "principal_leader",
                "group_head",
                "superior_group",
                "cyberspace_office",
            ),
        },
    ),
    "s1-8": Seed(
        report={
            "特别重大": rule(
                "S1-8 处置(二)（报告镇党委，镇党委报县领导小组，县委宣传部指导）",
                "party_committee",
                "superior_group",
                "propaganda_dept",
            ),
        },
    ),
    "s1-13": Seed(
        report={
            "红": rule("S1-13 (三)（红色级舆情报至市委）", "party_committee"),
            "橙": rule(
                "S1-13 (三)（橙色级报至纪委副书记、纪委书记）", "principal_leader", "group_head"
            ),
            "黄": rule("S1-13 (三)（黄色级报至分管常委）", "leader_in_charge"),
            "蓝": rule("S1-13 (三)（蓝色级由舆情网络信息办公室掌握处置）", *OFFICE_ONLY),
        },
        top_chain=rule("S1-13 (三)（通报：市委）", "party_committee"),
    ),
    "s1-18": Seed(
        report={
            "重特大": rule(
                "S1-18 三（10分钟内通知发生责任单位，告知县网信办；第一时间报主要领导）",
                "unit_responsible",
                "unit_liaison",
                "cyberspace_office",
                "principal_leader",
            ),
            "一般": rule("S1-18 三（一般舆情报分管领导）", "leader_in_charge"),
        },
    ),
    "s4": Seed(
        report={
            "一级": rule(
                "S4 三(三)（重大热点舆情按规定请示、报告）；二.4（向县委政法委和县委宣传、"
                "网信等部门报告、通报）",
                "group_head",
                "office_head",
                "political_legal",
                "propaganda_dept",
                "cyberspace_office",
            ),
        },
        review=rule(
            "S4 4.评估反馈（向县委政法委和县委宣传、网信等部门报告、通报引导处置情况）",
            "political_legal",
            "propaganda_dept",
            "cyberspace_office",
            "group_head",
        ),
    ),
}
