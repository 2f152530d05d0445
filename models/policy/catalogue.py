"""The catalogue of what a person may do to a case: one entry per action with its Chinese name
(and the English one for messages in English), its form, what it acts on (an obligation, a
request, the case, or nothing yet: a registration), the roles that may do it, whether the person
must be identified by name (requests and decisions: a command without `--by` is refused), the
stage event it needs, and whether alerts offer it as a one-click link. The CLI's verbs, the
console's forms, the link pages, the messages, the demo and the README's role table all read it;
`models.policy.permissions` says where each role's right reaches (its own unit, the office, the
approver's grade). Adding an action is one entry here plus its repository function
(`models.repo.performers`). Standard library only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.policy.action_spec import LEADERS, OFFICE_STAFF, OUTSIDE, UNIT, ActionSpec, Subject
from models.policy.catalogue_seeds import SEED_ACTIONS
from models.policy.forms import choice, field
from models.policy.stages import StageEvent
from models.policy.states import CATEGORY_LABELS, OUTCOME_LABELS, REFERRAL_LABELS

__all__ = [
    "ALERT_LINKS",
    "CATALOGUE",
    "DECISION_LINKS",
    "LINK_ACTIONS",
    "OFFICE_ACTIONS",
    "PAGES",
    "ActionSpec",
    "PageSpec",
    "Subject",
    "label",
    "spec",
]


def _entries(*specs: ActionSpec) -> Mapping[str, ActionSpec]:
    return {s.name: s for s in specs}


_RESPONDERS = OFFICE_STAFF | LEADERS | UNIT | {"duty_officer"}
CATALOGUE: Mapping[str, ActionSpec] = _entries(
    ActionSpec(
        "ack", "签收", "Acknowledge", "obligation", _RESPONDERS | OUTSIDE,
        "签收：停止未签收提醒；事项完成前仍按时限催办", link=True,
    ),
    ActionSpec(
        "complete", "完成", "Complete", "obligation", _RESPONDERS,
        "完成事项：停止该事项的全部催办；其阶段事件合法时案件进入下一阶段", link=True,
    ),
    ActionSpec(
        "extend", "申请延期", "Request extension", "obligation",
        OFFICE_STAFF | UNIT, "申请延期：须经审批人同意才改变截止时间",
        (field("until", "延至", "datetime"), field("reason", "延期理由", "textarea")),
        identified=True, link=True,
    ),
    ActionSpec(
        "reassign", "转办", "Reassign", "obligation",
        OFFICE_STAFF | LEADERS | {"duty_officer", "unit_responsible"},
        "转办：事项交给另一人办理并通知其本人；时限不重新计算",
        (field("to_person", "转办给", "person"), field("reason", "转办理由", "textarea")),
        link=True,
    ),
    ActionSpec(
        "escalate", "上报", "Escalate now", "obligation", _RESPONDERS,
        "上报：事项的催办链立即上升一级并通知该级人员",
        (field("reason", "上报理由", "textarea"),), link=True,
    ),
    ActionSpec(
        "upgrade", "升级", "Upgrade", "case",
        OFFICE_STAFF | LEADERS | {"monitor", "duty_officer"},
        "升级：未完成事项的时限按新等级缩短，并通知督办链第一级",
        (
            field("grade", "升至等级（默认升一级）", "grade", required=False),
            field("reason", "升级理由", "textarea"),
        ),
        link=True,
    ),
    ActionSpec(
        "downgrade", "申请降级", "Request downgrade", "case", OFFICE_STAFF | LEADERS,
        "申请降级：须由该等级的审批人（非申请人本人）同意后生效",
        (
            field("grade", "降至等级（默认降一级）", "grade", required=False),
            field("reason", "降级理由", "textarea"),
        ),
        identified=True,
    ),
    ActionSpec(
        "register", "人工登记", "Register", "none",
        OFFICE_STAFF | {"monitor", "duty_officer"},
        "人工登记（群众反映、热线电话、网信办转办等）：总会立案，或并入相似的未结案件",
    ),
    ActionSpec(
        "report", "报送快报", "Quick report", "case",
        OFFICE_STAFF | {"monitor", "duty_officer"},
        "快报：按等级报送快报（网站、信息、网友留言要点、来源链接、类别、等级）；"
        "此后每次报送为第N次续报，附上次报送以来的变化",
        (
            field("text", "报送说明", "textarea", required=False),
            field("units", "发生责任单位（需通知时）", "units", required=False),
        ),
    ),
    ActionSpec(
        "assess", "研判", "Assess", "case", OFFICE_STAFF | LEADERS,
        "研判：确认等级与类别，指定责任单位（多个单位时指定牵头单位）",
        (
            field("grade", "确认等级", "grade"),
            choice("category", "类别", CATEGORY_LABELS),
            field("units", "责任单位", "units"),
            field("lead", "牵头单位（多个单位时）", "unit", required=False),
            field("note", "研判意见", "textarea", required=False),
        ),
        event=StageEvent.assess,
    ),
    ActionSpec(
        "dispatch", "下发联系单", "Send contact sheet", "case", OFFICE_STAFF,
        "下发联系单：发给责任单位的负责人和联络员，核查与办结时限开始计算",
        (field("units", "责任单位（研判未指定时）", "units", required=False),),
        event=StageEvent.dispatch,
    ),
    ActionSpec(
        "verify", "核查反馈", "Verification", "case", OFFICE_STAFF | UNIT,
        "核查反馈：记录核查结果，案件进入核查阶段",
        (field("result", "核查结果", "textarea"),), event=StageEvent.verify,
    ),
    ActionSpec(
        "draft", "提交通稿", "Draft statement", "case", OFFICE_STAFF | {"unit_responsible"},
        "提交通稿：送该等级的审批人审定（本人不能审批自己的通稿）",
        (field("text", "通稿内容", "textarea"),), identified=True,
        event=StageEvent.approve_statement,
    ),
    ActionSpec(
        "approve", "同意", "Approve", "request", frozenset(),
        "同意：通稿审定、降级或延期申请（须持有该等级的审批角色，且不是申请人）",
        (field("note", "审批意见", "textarea", required=False),),
        identified=True, link=True, decision=True,
    ),
    ActionSpec(
        "reject", "退回", "Reject", "request", frozenset(),
        "退回：通稿、降级或延期申请不予同意，并通知申请人",
        (field("reason", "退回理由", "textarea"),),
        identified=True, link=True, decision=True,
    ),
    ActionSpec(
        "respond", "回应发布", "Publish response", "case", OFFICE_STAFF,
        "回应发布：记录公开回应的链接与内容",
        (field("url", "回应链接", "url"), field("text", "回应内容", "textarea", required=False)),
        event=StageEvent.respond,
    ),
    ActionSpec(
        "track", "跟踪", "Track", "case", OFFICE_STAFF, "跟踪：持续监测，指标变化仍可触发升级",
        (field("note", "跟踪说明", "textarea", required=False),), event=StageEvent.track,
    ),
    ActionSpec(
        "close", "办结", "Close", "case", OFFICE_STAFF | LEADERS,
        "办结：记录办结结果，其余未完成事项取消，开始善后观察与总结评估计时",
        (choice("outcome", "办结结果", OUTCOME_LABELS), field("reason", "办结说明", "textarea")),
        event=StageEvent.close,
    ),
    ActionSpec(
        "review", "总结评估", "Review", "case", OFFICE_STAFF,
        "总结评估：填写总结、原因与经验教训，案件归入案例库",
        (
            field("summary", "总结", "textarea"),
            field("cause", "原因分析", "textarea"),
            field("lessons", "经验教训", "textarea"),
        ),
        event=StageEvent.review,
    ),
    ActionSpec(
        "refer", "移送", "Refer", "case", OFFICE_STAFF | LEADERS,
        "移送：记录移送公安、纪检、网信办或宣传部（作为案件结果记录）",
        (choice("to", "移送单位", REFERRAL_LABELS), field("note", "移送说明", "textarea")),
    ),
    ActionSpec(
        "reopen", "重新打开", "Reopen", "case", OFFICE_STAFF,
        "重新打开：善后观察期内已办结的案件回到跟踪阶段",
        (field("reason", "重新打开理由", "textarea"),), event=StageEvent.reopen,
    ),
    *SEED_ACTIONS,
)  # fmt: skip


# What people do in the console besides acting on a case: judging an accountability record
# (问责研判) and re-running a stuck report. Each is checked like a case action's roles; their
# records are scoped by the case they concern.
OFFICE_ACTIONS: Mapping[str, ActionSpec] = _entries(
    ActionSpec(
        "judge", "问责研判", "Judge", "none", LEADERS | {"office_head", "approver"},
        "研判一条逾期记录：理由是否成立、依据，以及处理建议",
    ),
    ActionSpec(
        "rerun_report", "重跑报告", "Re-run report", "none", OFFICE_STAFF | {"operator"},
        "重跑生成或发送失败的报告，不重复发送",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class PageSpec:
    """A console page: who may open it. `office`: the office roles only (it shows the whole
    office's data); else everyone signed in, each seeing only the cases in their scope.
    `roles`, when given, narrows it further to those roles."""

    name: str
    label: str
    path: str
    office: bool = False
    roles: frozenset[str] = frozenset()


PAGES: Mapping[str, PageSpec] = {
    p.name: p
    for p in (
        PageSpec("board", "案件看板", "/"),
        PageSpec("my", "我的待办", "/my"),
        PageSpec("approvals", "待我审批", "/approvals"),
        PageSpec("case", "案件详情", "/cases/{id}"),
        PageSpec("library", "案例库", "/library"),
        PageSpec("accountability", "问责台账", "/accountability"),
        PageSpec("stats", "统计", "/stats", office=True),
        PageSpec("stuck", "卡住的案件", "/stuck", office=True),
        PageSpec("reports", "报告下载", "/reports", office=True),
        PageSpec("channels", "通知渠道", "/channels", office=True),
        # 立卷归档: the office files a case (an export of its whole record, F23)
        PageSpec("archive", "导出案卷", "/cases/{id}/archive", True, OFFICE_STAFF),
        PageSpec("register", "人工登记", "/cases/new"),  # as the `register` action allows
    )
}


# The one-click links: every action marked `link`; an alert about an obligation offers those
# acting on it (and 升级), a request for a decision 同意 and 退回.
LINK_ACTIONS: tuple[str, ...] = tuple(n for n, s in CATALOGUE.items() if s.link)
ALERT_LINKS: tuple[str, ...] = tuple(n for n in LINK_ACTIONS if not CATALOGUE[n].decision)
DECISION_LINKS: tuple[str, ...] = tuple(n for n in LINK_ACTIONS if CATALOGUE[n].decision)


def spec(name: str) -> ActionSpec:
    """The catalogue's entry; KeyError for a name it does not have."""
    return CATALOGUE[name]


def label(name: str, language: str = "zh") -> str:
    """The action's name as a person reads it (the name itself when unknown)."""
    found = CATALOGUE.get(name)
    if found is None:
        return name
    return found.label_en if language == "en" else found.label
