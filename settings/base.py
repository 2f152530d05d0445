"""Shared pieces of the settings: the role names, id patterns, the error that names every
problem, and the frozen base class every section derives from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

# The same names as models.policy.ROLES (a Literal must spell them out for validation and mypy;
# tests/unit/test_settings.py checks the two agree).
Role = Literal[
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
    "propaganda_dept",
    "cyberspace_office",
    "party_committee",
    "superior_group",
    "government_leader",
    "political_legal",
]
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CHANNEL_ID_PATTERN = r"^[a-z0-9][a-z0-9_]{0,63}$"  # env-var friendly: no dashes


class SettingsError(Exception):
    """A settings file or environment that cannot be used; `problems` names every field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Section(BaseModel):
    # No infinite or NaN number anywhere in the settings: `inf` seconds is no interval at all.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
