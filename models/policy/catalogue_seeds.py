"""The catalogue's entries for what the seeds prescribe beyond the stages (issue 19): a leader's
instruction (批示/签批, F9, S2-4.3 批办, S1-4§14), the responsible unit's handling plan for its
leader in charge (处置方案, S1-2/S1-5 四(二)), resolving an optional obligation as not needed
(不需要), and the corrections (更正): the responsible units after the contact sheet, the
category or grade, a stage moved back (with the office head's consent). Read with the rest by
`models.policy.catalogue`. Standard library only."""

from __future__ import annotations

from collections.abc import Mapping

from models.policy.action_spec import LEADERS, OFFICE_STAFF, UNIT, ActionSpec
from models.policy.forms import FormField, choice, field
from models.policy.stages import STAGE_LABELS
from models.policy.states import CATEGORY_LABELS, Category

__all__ = ["SEED_ACTIONS"]


def _optional_choice(name: str, label: str, labels: Mapping[Category, str]) -> FormField:
    return FormField(name, label, "choice", False, tuple((k.value, v) for k, v in labels.items()))


SEED_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "instruct", "批示", "Instruct", "case", LEADERS,
        "批示（签批）：记录领导批示，转责任单位和办公室办理，载入快报的“领导批示”和案卷",
        (field("text", "批示内容", "textarea"),), identified=True,
    ),
    ActionSpec(
        "plan", "提交处置方案", "Submit handling plan", "case", UNIT | OFFICE_STAFF,
        "提交处置方案：责任单位的处置方案或实施计划，送预案指定的分管领导审批",
        (field("text", "处置方案", "textarea"),), identified=True,
    ),
    ActionSpec(
        "waive", "不需要", "Not needed", "obligation", OFFICE_STAFF,
        "确认不需要：“需要时”事项（或无办理动作的事项）经办公室确认不需要，注明理由；"
        "不再催办，不计逾期",
        (field("reason", "不需要的理由", "textarea"),),
    ),
    ActionSpec(
        "units", "调整责任单位", "Correct units", "case", OFFICE_STAFF,
        "调整责任单位：增加或更换责任单位并注明理由；联系单已下发的，新增单位收到联系单并有"
        "自己的核查时限",
        (
            field("add", "增加的责任单位", "units", required=False),
            field("remove", "撤下的责任单位", "units", required=False),
            field("lead", "牵头单位", "unit", required=False),
            field("reason", "调整理由", "textarea"),
        ),
    ),
    ActionSpec(
        "correct", "更正", "Correct", "case", OFFICE_STAFF | LEADERS,
        "更正类别或等级并注明理由：类别即时更正（按新类别的处置要求），等级上调即时生效，"
        "下调须经审批",
        (
            _optional_choice("category", "更正类别为", CATEGORY_LABELS),
            field("grade", "更正等级为", "grade", required=False),
            field("reason", "更正理由", "textarea"),
        ),
    ),
    ActionSpec(
        "rewind", "阶段回退", "Move stage back", "case", OFFICE_STAFF | LEADERS,
        "阶段回退：退回到之前的阶段重新办理，注明理由，须经办公室负责人同意",
        (
            choice("stage", "退回到", STAGE_LABELS),
            field("reason", "回退理由", "textarea"),
        ),
        identified=True,
    ),
)  # fmt: skip
