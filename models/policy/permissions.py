"""Who may do what, and where: the catalogue (`models.policy.catalogue`) names the roles that may
take each action; here each role's right has a reach. Office roles (the office, its leaders, the
monitors, the duty officer, the operator) reach every case. Unit roles (a responsible unit's
responsible person and liaison) reach the cases their unit is responsible for or leads, and
there only their unit's obligations. Outside contacts and approvers reach only what is theirs:
an obligation they hold, a request that awaits their role. An obligation handed to a person
(转办) is theirs alone among the unit and outside roles. A decision (approve, reject) needs a
role the policy names for the request's kind and the case's grade. Every refusal is one Chinese
sentence saying what is missing. Standard library only."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from models.policy.action_spec import OUTSIDE
from models.policy.catalogue import CATALOGUE, OFFICE_ACTIONS, PAGES, ActionSpec, PageSpec
from models.policy.roles import ROLE_LABELS, UNIT_ROLES

__all__ = [
    "ROLE_LABELS",
    "ROLE_REACH",
    "CaseFacts",
    "ObligationFacts",
    "Reach",
    "RequestFacts",
    "Standing",
    "actions_of",
    "office_refusal",
    "page_refusal",
    "pages_of",
    "refusal",
    "role_names",
    "role_table",
]


class Reach(StrEnum):
    OFFICE = "office"  # every case and obligation
    UNIT = "unit"  # the unit's cases, and there the unit's obligations
    OWN = "own"  # the obligations the person holds, the requests awaiting their role


ROLE_REACH: Mapping[str, Reach] = {
    role: Reach.UNIT if role in UNIT_ROLES else Reach.OWN if role in OUTSIDE else Reach.OFFICE
    for role in ROLE_LABELS
}


@dataclass(frozen=True)
class Standing:
    """Who is acting, as far as permission goes: a person, their unit and the roles they may use
    now (a console account's roles bound the person's)."""

    person: str
    name: str
    unit: str | None
    roles: frozenset[str]
    unit_name: str = ""

    def reaching(self, reach: Reach) -> frozenset[str]:
        return frozenset(r for r in self.roles if ROLE_REACH.get(r) is reach)


@dataclass(frozen=True)
class ObligationFacts:
    key: str
    title: str
    owner_role: str
    assignee: str | None = None
    assignee_name: str = ""


@dataclass(frozen=True)
class RequestFacts:
    id: int
    kind: str
    kind_label: str
    approvers: tuple[str, ...]  # the roles the policy names for its kind and the case's grade


@dataclass(frozen=True)
class CaseFacts:
    """What permission needs of a case: its responsible units (the lead among them), who holds
    its open obligations, and the roles its pending requests await."""

    case_id: int
    grade_label: str
    units: tuple[str, ...] = ()
    obligations: tuple[ObligationFacts, ...] = ()
    awaiting: frozenset[str] = field(default_factory=frozenset)  # approver roles of pending ones


def role_names(roles: Iterable[str]) -> str:
    return "、".join(ROLE_LABELS.get(r, r) for r in roles) or "无"


def _holds(standing: Standing, role: str, case: CaseFacts, o: ObligationFacts) -> bool:
    """Whether `role` of the person reaches obligation `o`."""
    reach = ROLE_REACH.get(role)
    if reach is Reach.OFFICE:
        return True
    if o.assignee is not None:
        return o.assignee == standing.person
    if reach is Reach.UNIT:
        return o.owner_role in UNIT_ROLES and standing.unit in case.units
    return reach is Reach.OWN and o.owner_role == role


def _in_unit(standing: Standing, role: str, case: CaseFacts) -> bool:
    reach = ROLE_REACH.get(role)
    return reach is Reach.OFFICE or (reach is Reach.UNIT and standing.unit in case.units)


def refusal(
    spec: ActionSpec,
    standing: Standing,
    *,
    case: CaseFacts | None = None,
    obligation: ObligationFacts | None = None,
    request: RequestFacts | None = None,
) -> str | None:
    """Why the person may not take the action here (one Chinese sentence), or None."""
    if spec.decision:
        return _decision(spec, standing, case, request)
    roles = standing.roles & spec.roles
    if not roles:
        return f"{standing.name}（{role_names(sorted(standing.roles))}）不能{spec.label}"
    if case is None:
        return None
    if obligation is not None:
        if any(_holds(standing, r, case, obligation) for r in roles):
            return None
        if obligation.assignee is not None:
            who = obligation.assignee_name or obligation.assignee
            return f"事项“{obligation.title}”已转办给 {who}，{standing.name} 不能{spec.label}"
        return f"事项“{obligation.title}”不由 {_whose(standing)} 办理，不能{spec.label}"
    if any(_in_unit(standing, r, case) for r in roles):
        return None
    return f"案件 {case.case_id} 不在 {_whose(standing)} 的职责范围内，不能{spec.label}"


def _whose(standing: Standing) -> str:
    return standing.unit_name or standing.name


def _decision(
    spec: ActionSpec, standing: Standing, case: CaseFacts | None, request: RequestFacts | None
) -> str | None:
    if request is None or case is None:
        return None  # the repository names the missing request
    roles = standing.roles & set(request.approvers)
    if roles and any(
        ROLE_REACH.get(r) is not Reach.UNIT or _in_unit(standing, r, case) for r in roles
    ):
        return None
    needed = role_names(request.approvers)
    what = f"{case.grade_label}案件的{request.kind_label}"
    return f"{standing.name} 无权审批{what}（须由 {needed} 审批）"


def actions_of(roles: Collection[str]) -> tuple[str, ...]:
    """The catalogue's actions (decisions aside) someone holding `roles` may take somewhere."""
    return tuple(name for name, s in CATALOGUE.items() if s.roles & set(roles))


def page_refusal(page: PageSpec, standing: Standing) -> str | None:
    """Why the person may not open the page (None: they may; its content is scoped)."""
    if page.name == "register":
        return refusal(CATALOGUE["register"], standing)
    who = f"{standing.name}（{role_names(sorted(standing.roles))}）"
    if page.office and not standing.reaching(Reach.OFFICE):
        return f"{page.label}只对办公室人员开放：{who}无权查看"
    if page.roles and not standing.roles & page.roles:
        return f"{page.label}只对{role_names(sorted(page.roles))}开放：{who}无权查看"
    return None


def pages_of(standing: Standing) -> frozenset[str]:
    """The pages the person may open."""
    return frozenset(n for n, p in PAGES.items() if page_refusal(p, standing) is None)


def office_refusal(name: str, standing: Standing) -> str | None:
    """Why the person may not take an office action (问责研判, 重跑报告), or None."""
    spec = OFFICE_ACTIONS[name]
    if standing.roles & spec.roles:
        return None
    return f"{standing.name}（{role_names(sorted(standing.roles))}）不能{spec.label}"


SEES: Mapping[Reach, str] = {
    Reach.OFFICE: "全部案件",
    Reach.UNIT: "本单位负责或牵头的案件（其中本单位的事项）",
    Reach.OWN: "本人承办的事项、等待其审批的申请所在的案件",
}


def role_table(approvers: Collection[str]) -> list[str]:
    """The README's role table as Markdown lines: each role, what it sees, what it may do
    (the catalogue's actions, the office's pages and actions; 审批 when the policy names it in
    `approvers`)."""
    lines = ["| 角色 | | 看到 | 可以办理 |", "|---|---|---|---|"]
    for role, name in ROLE_LABELS.items():
        reach = ROLE_REACH[role]
        may = [CATALOGUE[a].label for a in actions_of([role])]
        may += [s.label for s in OFFICE_ACTIONS.values() if role in s.roles]
        if role in approvers:
            may.append("审批（同意、退回）")
        if reach is Reach.OFFICE:
            pages = [
                p.label for p in PAGES.values() if p.office and (not p.roles or role in p.roles)
            ]
            may.append("、".join(pages))
        lines.append(f"| {name} | `{role}` | {SEES[reach]} | {'、'.join(may) or '—（只看）'} |")
    return lines
