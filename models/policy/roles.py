"""Roles: the project's fixed vocabulary of who does what (``ROLES``, each with its Chinese
label), the outside bodies among them, the roles resolved within a case's units, and who is told
of each stage event or decides each kind of request when the policy does not say."""

from __future__ import annotations

from collections.abc import Mapping

from models.policy.stages import StageEvent

ROLES: tuple[str, ...] = (
    "monitor",
    "office_staff",
    "office_head",
    "leader_in_charge",
    "principal_leader",
    "group_head",
    "duty_officer",
    "unit_responsible",
    "unit_liaison",
    "approver",
    "operator",
    # Outside bodies, reached through their contacts in the directory (seeds-spec §4.2).
    "propaganda_dept",
    "cyberspace_office",
    "party_committee",
    "superior_group",
    "government_leader",  # 上级政府领导（市/县政府分管或主要领导, S0-7）
    "political_legal",  # 政法委 (S1-5, S4)
)
ROLE_LABELS: Mapping[str, str] = {
    "monitor": "监测员",
    "office_staff": "办公室工作人员",
    "office_head": "办公室负责人",
    "leader_in_charge": "分管领导",
    "principal_leader": "主要领导",
    "group_head": "领导小组组长",
    "duty_officer": "值班人员",
    "unit_responsible": "责任单位负责人",
    "unit_liaison": "责任单位联络员",
    "approver": "审批人",
    "operator": "系统管理员",
    "propaganda_dept": "宣传部",
    "cyberspace_office": "网信办",
    "party_committee": "市委（党委）",
    "superior_group": "上级领导小组",
    "government_leader": "政府领导",
    "political_legal": "政法委",
}
OWNER = "owner"
# Outside bodies: reached through their contacts, beyond the office's own chain (S4: 内外有别).
OUTSIDE_ROLES = frozenset(
    {
        "propaganda_dept",
        "cyberspace_office",
        "party_committee",
        "superior_group",
        "government_leader",
        "political_legal",
    }
)
UNIT_ROLES = frozenset({"unit_responsible", "unit_liaison"})  # resolved within the case's units

# Who is told of each stage event unless the policy says otherwise (DESIGN §2, §6).
DEFAULT_NOTIFY: Mapping[StageEvent, tuple[str, ...]] = {
    StageEvent.report: ("office_head", "leader_in_charge", "duty_officer"),
    StageEvent.assess: ("office_staff", "leader_in_charge"),
    StageEvent.dispatch: ("unit_responsible", "unit_liaison"),
    StageEvent.verify: ("office_staff",),
    StageEvent.approve_statement: ("office_staff", "unit_responsible"),
    StageEvent.respond: ("office_staff", "leader_in_charge"),
    StageEvent.track: ("office_staff", "monitor"),
    StageEvent.close: ("office_staff", "leader_in_charge", "unit_responsible"),
    StageEvent.review: ("office_head", "leader_in_charge"),
    StageEvent.reopen: ("office_staff", "duty_officer", "leader_in_charge", "unit_responsible"),
}
# Who may decide a request unless the policy says otherwise: by kind where the seeds name one
# (a stage moved back: the office head; a unit's handling plan: its leader in charge, S1-2,
# S1-5; a release in a blackout: whoever approves the grade's statements), else the generic
# approver and the leaders.
KIND_APPROVERS: Mapping[str, tuple[str, ...]] = {
    "rewind": ("office_head",),
    "plan": ("leader_in_charge",),
}
DEFAULT_APPROVERS: tuple[str, ...] = (
    "approver",
    "leader_in_charge",
    "principal_leader",
    "group_head",
)
