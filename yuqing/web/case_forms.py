"""Which forms the case page offers the signed-in person: per open obligation the obligation
actions, for the case the stage actions its stage allows now, and the decisions on the requests
awaiting them — each exactly where the catalogue's permission (`models.policy.permissions`)
lets this person act, so a form shown is a form that will be accepted (and a direct POST of one
not shown is refused by the same rule)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from models.policy import Policy
from models.policy.catalogue import CATALOGUE, ActionSpec
from models.policy.forms import FormField
from models.policy.permissions import CaseFacts, Standing, refusal
from models.policy.states import ObligationStatus
from models.repo.access import case_facts, obligation_facts, request_facts
from models.repo.acting import fields_for
from models.repo.lifecycle import is_legal
from models.store.tables import ApprovalRequest, Case, Obligation

Form = tuple[str, str, tuple[FormField, ...]]  # action, label, fields


@dataclass
class CaseForms:
    per: dict[str, list[Form]] = field(default_factory=dict)  # obligation key → its forms
    case: list[Form] = field(default_factory=list)
    decide: set[int] = field(default_factory=set)  # the requests this person may decide


def case_forms(
    session: Session,
    policy: Policy,
    standing: Standing,
    case: Case,
    obligations: list[Obligation],
    requests: list[ApprovalRequest],
) -> CaseForms:
    """The forms `standing` may use on `case` now."""
    assert case.id is not None
    forms = CaseForms()
    facts = case_facts(session, case, policy)
    if case.closed_at is None:
        forms.per = _per_obligation(session, policy, standing, case, facts, obligations)
    forms.case = [
        (s.name, s.label, s.fields)
        for s in CATALOGUE.values()
        if s.subject == "case"
        and _stage_allows(policy, case, s)
        and refusal(s, standing, case=facts) is None
    ]
    approve = CATALOGUE["approve"]
    for r in requests:
        if r.id is None or r.requested_by == standing.person:
            continue
        if refusal(approve, standing, case=facts, request=request_facts(r, policy)) is None:
            forms.decide.add(r.id)
    return forms


def _stage_allows(policy: Policy, case: Case, spec: ActionSpec) -> bool:
    """Its stage event legal now; an action without one (升级, 移送…) while the case is open."""
    if spec.event is None:
        return case.closed_at is None
    return is_legal(policy, case, spec.event)


def _per_obligation(
    session: Session,
    policy: Policy,
    standing: Standing,
    case: Case,
    facts: CaseFacts,
    obligations: list[Obligation],
) -> dict[str, list[Form]]:
    assert case.id is not None
    per: dict[str, list[Form]] = {}
    specs = [s for s in CATALOGUE.values() if s.subject == "obligation"]
    for o in obligations:
        if o.status != ObligationStatus.OPEN:
            continue
        mine = obligation_facts(session, o)
        for s in specs:
            if _spent(policy, case, o, s):
                continue
            if refusal(s, standing, case=facts, obligation=mine) is not None:
                continue
            fields = fields_for(session, policy, s.name, case_id=case.id, subject=o.key)
            per.setdefault(o.key, []).append((s.name, s.label, fields))
    return per


def _spent(policy: Policy, case: Case, obligation: Obligation, spec: ActionSpec) -> bool:
    """An action that cannot apply to this obligation: 签收 once signed, 不需要 on one the
    plan requires (only 需要时 items, or those no action meets, are waivable)."""
    if spec.name == "ack":
        return obligation.acked_at is not None
    if spec.name == "waive":
        return not policy.rule_any_grade(case.grade, obligation.key).waivable
    return False
