"""Who may do what to a case, by role: the console shows a person only the forms their roles
allow, and a signed link or a form for anything else is refused. Deciding a request (approving
a statement, a downgrade, an extension) is not a role-wide right: it depends on the request's
kind and the case's grade (``Policy.approver_roles``), and never on being its requester.
Standard library only."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from models.policy.policy import Policy

__all__ = ["ACTIONS", "ROLE_ACTIONS", "allowed_actions", "may_decide"]

_RESPOND = frozenset({"ack", "complete", "extend", "reassign", "escalate"})
_OFFICE = _RESPOND | frozenset(
    {
        "upgrade",
        "downgrade",
        "register",
        "report",
        "assess",
        "dispatch",
        "verify",
        "draft",
        "respond",
        "track",
        "close",
        "review",
        "refer",
        "reopen",
    }
)
_LEADER = frozenset({"ack", "complete", "reassign", "escalate", "upgrade", "downgrade"}) | {
    "assess",
    "close",
    "refer",
}
ROLE_ACTIONS: Mapping[str, frozenset[str]] = {
    "monitor": frozenset({"register", "report", "upgrade"}),
    "office_staff": _OFFICE,
    "office_head": _OFFICE,
    "duty_officer": frozenset({"ack", "complete", "reassign", "escalate", "upgrade", "register"})
    | {"report"},
    "unit_responsible": _RESPOND | {"verify", "draft"},
    "unit_liaison": frozenset({"ack", "complete", "extend", "escalate", "verify"}),
    "leader_in_charge": _LEADER,
    "principal_leader": _LEADER,
    "group_head": _LEADER,
    "approver": frozenset({"ack"}),
    "operator": frozenset(),
    "propaganda_dept": frozenset({"ack"}),
    "cyberspace_office": frozenset({"ack"}),
    "party_committee": frozenset({"ack"}),
    "superior_group": frozenset({"ack"}),
    "government_leader": frozenset({"ack"}),
    "political_legal": frozenset({"ack"}),
}
ACTIONS = frozenset().union(*ROLE_ACTIONS.values()) | {"decide"}


def allowed_actions(roles: Collection[str]) -> frozenset[str]:
    """What a person with `roles` may do; unknown role names grant nothing. Everyone may try
    to decide a request (`decide`): whether they may is `may_decide`'s question."""
    allowed: set[str] = {"decide"}
    for role in roles:
        allowed |= ROLE_ACTIONS.get(role, frozenset())
    return frozenset(allowed)


def may_decide(policy: Policy, *, kind: str, grade: str, roles: Collection[str]) -> bool:
    """Whether someone holding `roles` may decide a request of `kind` on a case of `grade`."""
    return bool(set(roles) & set(policy.approver_roles(kind, grade)))
