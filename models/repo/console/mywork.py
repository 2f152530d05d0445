"""A person's own work, as the database answers it: the open obligations they hold across the
open cases (handed to them, or owned by one of their roles — a unit role only on their unit's
cases), nearest deadline first; the requests waiting for their decision (a role the policy names
for the request's kind and grade, never their own request); and who must act on an obligation
(the person it was handed to, else whoever holds its owner role, within the case's units for the
unit roles, the duty roster overlaid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from models.policy import UNIT_ROLES, Policy
from models.policy.permissions import Standing
from models.policy.routing import Shift
from models.policy.states import ApprovalStatus, ObligationStatus
from models.repo.access import of_unit, scope_of, visible
from models.repo.directory import Directory
from models.store.tables import ApprovalRequest, Case, Obligation

LIMIT = 200  # rows of one list: a person's work, not the office's archive


@dataclass(frozen=True)
class Task:
    """One open obligation of the person's, with its case."""

    obligation: Obligation
    case: Case


def my_obligations(session: Session, standing: Standing, *, limit: int = LIMIT) -> list[Task]:
    """The open obligations `standing` holds on open cases, nearest deadline first."""
    own = [r for r in standing.roles if r not in UNIT_ROLES]
    held = [r for r in standing.roles if r in UNIT_ROLES]
    unassigned = col(Obligation.assignee_id).is_(None)
    ways = [col(Obligation.assignee_id) == standing.person]
    if own:
        ways.append(and_(unassigned, col(Obligation.owner_role).in_(own)))
    if held and standing.unit:
        ways.append(and_(unassigned, col(Obligation.owner_role).in_(held), of_unit(standing.unit)))
    query = (
        select(Obligation, Case)
        .join(Case, col(Case.id) == col(Obligation.case_id))
        .where(
            col(Obligation.status) == ObligationStatus.OPEN,
            col(Case.closed_at).is_(None),
            or_(*ways),
        )
        .order_by(col(Obligation.due_at), col(Obligation.id))
        .limit(limit)
    )
    return [Task(o, c) for o, c in session.exec(query).all()]


def awaiting_me(
    session: Session, standing: Standing, policy: Policy, *, limit: int = LIMIT
) -> list[tuple[ApprovalRequest, Case]]:
    """The pending requests `standing` may decide, oldest first (never their own)."""
    scope = scope_of(standing, policy)
    if not scope.everything and not scope.awaiting:
        return []
    query = (
        select(ApprovalRequest, Case)
        .join(Case, col(Case.id) == col(ApprovalRequest.case_id))
        .where(
            col(ApprovalRequest.status) == ApprovalStatus.PENDING,
            col(ApprovalRequest.requested_by) != standing.person,
            visible(scope),
        )
        .order_by(col(ApprovalRequest.requested_at), col(ApprovalRequest.id))
        .limit(limit * 4)
    )
    found = []
    for request, case in session.exec(query).all():
        roles = policy.approver_roles(request.kind.value, request.grade)
        if standing.roles & set(roles):
            found.append((request, case))
    return found[:limit]


def who_must_act(
    directory: Directory,
    names: Mapping[str, str],
    *,
    owner_role: str,
    assignee: str | None,
    units: Sequence[str],
    at: datetime,
    shifts: Sequence[Shift] = (),
) -> list[str]:
    """The names of the people who must act on an obligation now (no database read)."""
    ids = directory.people(
        [owner_role], units=units, shifts=shifts, at=at, owner_role=owner_role, assignee=assignee
    )
    return [names.get(i, i) for i in ids]
