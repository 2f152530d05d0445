"""What one catalogue entry says about an action (`ActionSpec`), and the groups of roles the
entries name. The entries are in `models.policy.catalogue` (and `catalogue_seeds`). Standard
library only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.policy.forms import FormField
from models.policy.stages import StageEvent

__all__ = ["LEADERS", "OFFICE_STAFF", "OUTSIDE", "UNIT", "ActionSpec", "Subject"]

Subject = Literal["obligation", "request", "case", "none"]
OFFICE_STAFF = frozenset({"office_staff", "office_head"})
LEADERS = frozenset({"leader_in_charge", "principal_leader", "group_head"})
UNIT = frozenset({"unit_responsible", "unit_liaison"})
OUTSIDE = frozenset(  # approvers and outside bodies: only what is theirs (permissions.Reach.OWN)
    {
        "approver",
        "propaganda_dept",
        "cyberspace_office",
        "party_committee",
        "superior_group",
        "government_leader",
        "political_legal",
    }
)


@dataclass(frozen=True)
class ActionSpec:
    """One action: its names, its form, what it acts on and who may do it."""

    name: str
    label: str
    label_en: str
    subject: Subject
    roles: frozenset[str]  # for a decision: any role the policy names as approver instead
    summary: str  # one line: what it does (the CLI's help, the README)
    fields: tuple[FormField, ...] = ()
    identified: bool = False  # the actor must be a known person (a request or a decision)
    event: StageEvent | None = None  # the stage event that must be legal for the console's form
    link: bool = False  # alerts offer it as a signed one-click link
    decision: bool = False  # decided by the grade's approvers (`Policy.approver_roles`)

    def field(self, name: str) -> FormField:
        return next(f for f in self.fields if f.name == name)
