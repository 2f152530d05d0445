"""Permission as the database answers it: who a person is now (their unit and the roles they hold
in the directory, bounded by a console account's roles), the facts of a case, an obligation or a
request that `models.policy.permissions` decides on, the check an action passes before it changes
anything (`Forbidden` otherwise), and the same rule of who sees which case as one SQL condition
for the lists (the board, my work, the ledger, the reports)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, cast, exists, false, or_, true
from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.catalogue import ActionSpec
from models.policy.permissions import (
    CaseFacts,
    ObligationFacts,
    Reach,
    RequestFacts,
    Standing,
    refusal,
)
from models.policy.states import APPROVAL_LABELS, ApprovalKind, ApprovalStatus, ObligationStatus
from models.repo.cases import CaseError
from models.store.tables import ApprovalRequest, Case, Obligation, Person, RoleAssignment, Unit


class Forbidden(CaseError):
    """The person may not do this here; the message says why (the console answers 403)."""


def standing_of(
    session: Session, person_id: str, *, bound: Collection[str] | None = None
) -> Standing | None:
    """The person as they stand now: the roles the directory gives them (within `bound`, a
    console account's roles, when given); None for nobody in the directory."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    held = set(
        session.exec(select(RoleAssignment.role).where(RoleAssignment.person_id == person.id))
    )
    roles = frozenset(held & set(bound) if bound else held)
    unit = session.get(Unit, person.unit_id) if person.unit_id else None
    return Standing(person.id, person.name, person.unit_id, roles, unit.name if unit else "")


def obligation_facts(session: Session, o: Obligation) -> ObligationFacts:
    assignee = session.get(Person, o.assignee_id) if o.assignee_id else None
    return ObligationFacts(
        o.key, o.title, o.owner_role, o.assignee_id, assignee.name if assignee else ""
    )


def request_facts(request: ApprovalRequest, policy: Policy) -> RequestFacts:
    assert request.id is not None
    roles = policy.approver_roles(request.kind.value, request.grade)
    return RequestFacts(request.id, request.kind.value, APPROVAL_LABELS[request.kind], roles)


def case_facts(session: Session, case: Case, policy: Policy) -> CaseFacts:
    assert case.id is not None
    units = tuple(dict.fromkeys([*case.units, *([case.lead_unit_id] if case.lead_unit_id else [])]))
    open_ones = session.exec(
        select(Obligation).where(
            Obligation.case_id == case.id, Obligation.status == ObligationStatus.OPEN
        )
    ).all()
    pending = session.exec(
        select(ApprovalRequest).where(
            ApprovalRequest.case_id == case.id, ApprovalRequest.status == ApprovalStatus.PENDING
        )
    ).all()
    awaiting = frozenset(r for p in pending for r in request_facts(p, policy).approvers)
    return CaseFacts(
        case_id=case.id,
        grade_label=policy.scheme.level(case.grade).label,
        units=units,
        obligations=tuple(obligation_facts(session, o) for o in open_ones),
        awaiting=awaiting,
    )


def check(
    spec: ActionSpec,
    standing: Standing,
    *,
    case: CaseFacts | None = None,
    obligation: ObligationFacts | None = None,
    request: RequestFacts | None = None,
) -> None:
    """Forbidden with the reason unless the catalogue lets the person act here."""
    reason = refusal(spec, standing, case=case, obligation=obligation, request=request)
    if reason is not None:
        raise Forbidden(reason)


# --- who sees which case, as SQL ------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Who sees which cases, as plain values (hashable: the board caches its counts per scope):
    everything (an office role), or the cases of a unit, of the obligations a person holds
    (and, for outside roles, those owned by their roles), of the requests awaiting them."""

    everything: bool
    person: str = ""
    unit: str | None = None
    own_roles: frozenset[str] = frozenset()
    awaiting: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (request kind, grade names)


EVERYTHING = Scope(everything=True)
NOTHING = Scope(everything=False)


def scope_of(standing: Standing | None, policy: Policy) -> Scope:
    """The scope of `standing` (nobody: sees nothing)."""
    if standing is None:
        return NOTHING
    if standing.reaching(Reach.OFFICE):
        return Scope(everything=True)
    awaiting = tuple(
        (kind.value, level.names)
        for kind in ApprovalKind
        for level in policy.scheme.by_rank()
        if standing.roles & set(policy.approver_roles(kind.value, level.id))
    )
    unit = standing.unit if standing.reaching(Reach.UNIT) else None
    own = standing.reaching(Reach.OWN)
    return Scope(False, standing.person, unit, own, awaiting)


def visible(scope: Scope, case_id: Any = None) -> Any:
    """The condition on `case_id` (default `Case.id`) that keeps the cases `scope` sees."""
    case_id = col(Case.id) if case_id is None else case_id
    if scope == NOTHING:
        return false()
    if scope.everything:
        return true()
    o = select(col(Obligation.case_id)).where(col(Obligation.status) == ObligationStatus.OPEN)
    ways = [case_id.in_(o.where(col(Obligation.assignee_id) == scope.person))]
    if scope.own_roles:
        owned = o.where(
            col(Obligation.assignee_id).is_(None), col(Obligation.owner_role).in_(scope.own_roles)
        )
        ways.append(case_id.in_(owned))
    if scope.unit:
        ways.append(case_id.in_(select(col(Case.id)).where(of_unit(scope.unit))))
    if scope.awaiting:
        pairs = [
            and_(col(ApprovalRequest.kind) == kind, col(ApprovalRequest.grade).in_(grades))
            for kind, grades in scope.awaiting
        ]
        pending = select(col(ApprovalRequest.case_id)).where(
            col(ApprovalRequest.status) == ApprovalStatus.PENDING, or_(*pairs)
        )
        ways.append(case_id.in_(pending))
    return or_(*ways)


def of_unit(unit: str) -> Any:
    """The case names `unit` as responsible or lead (ids are [a-z0-9_-]: `_` is escaped)."""
    pattern = '%"' + unit.replace("_", "\\_") + '"%'
    return or_(
        col(Case.lead_unit_id) == unit, cast(col(Case.units), String).like(pattern, escape="\\")
    )


def sees_case(session: Session, standing: Standing | None, case_id: int, policy: Policy) -> bool:
    """The SQL rule for one case (the console asks before showing a page)."""
    condition = visible(scope_of(standing, policy))
    return bool(session.exec(select(exists().where(col(Case.id) == case_id, condition))).one())
