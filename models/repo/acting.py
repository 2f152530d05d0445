"""One action, as the repository carries it out inside the caller's transaction: look up what it
acts on (the case, the obligation, the request), check that the person may act there
(`models.policy.permissions` through `models.repo.access`), then change it
(`models.repo.performers`). An action that needs an identified person is refused without one;
签收 without an obligation named takes the earliest one the person may acknowledge."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, col, select

from models.policy import Policy
from models.policy.catalogue import CATALOGUE, ActionSpec
from models.policy.forms import FormField, completion_fields
from models.policy.permissions import Standing, refusal
from models.policy.states import ObligationStatus
from models.repo.access import Forbidden, case_facts, check, obligation_facts, request_facts
from models.repo.action_form import Acting, request_id
from models.repo.blackout import hold
from models.repo.cases import CaseError, NextStep, find_obligation, get_case
from models.repo.changes import Change
from models.repo.performers import PERFORMERS
from models.repo.requests import pending_request
from models.store.tables import Obligation

__all__ = ["Acting", "fields_for", "perform", "spec_of"]


def spec_of(name: str) -> ActionSpec:
    found = CATALOGUE.get(name)
    if found is None or name not in PERFORMERS:
        raise CaseError(f"未知操作 {name[:40]!r}")
    return found


def perform(session: Session, name: str, acting: Acting, standing: Standing | None) -> Change:
    """Carry out action `name` as `standing` (None: the command line without a person, for the
    actions that need none), refusing with `Forbidden` where the catalogue does not allow it;
    in a release blackout, its messages to outside bodies are held for consent."""
    spec = spec_of(name)
    if standing is None:
        if spec.identified:
            raise Forbidden(
                f"{spec.label}须注明办理人：请指明人员编号或姓名",
                next_step=NextStep(fields=(("by", None),)),
            )
    else:
        acting = permitted(session, spec, acting, standing)
    change = PERFORMERS[name](session, acting)
    if not acting.blackout:
        return change
    return hold(
        session,
        change,
        actor=acting.actor,
        at=acting.at,
        policy=acting.policy,
        blackout=acting.blackout,
    )


def permitted(session: Session, spec: ActionSpec, acting: Acting, standing: Standing) -> Acting:
    """`acting` once the person is found allowed (签收's obligation filled in); Forbidden else."""
    if spec.subject == "none":
        check(spec, standing)
        return acting
    facts = case_facts(session, get_case(session, acting.case_id), acting.policy)
    if spec.subject == "request":
        number = request_id(acting.subject, acting.form)
        request = pending_request(session, case_id=acting.case_id, request_id=number)
        check(spec, standing, case=facts, request=request_facts(request, acting.policy))
        return replace(acting, subject=f"req{request.id}")
    if spec.subject == "case":
        check(spec, standing, case=facts)
        return acting
    if acting.subject is None and spec.name == "ack":
        return replace(acting, subject=_first_to_ack(session, spec, acting, standing))
    obligation = find_obligation(session, case_id=acting.case_id, key=acting.key())
    check(spec, standing, case=facts, obligation=obligation_facts(session, obligation))
    return acting


def _first_to_ack(session: Session, spec: ActionSpec, acting: Acting, standing: Standing) -> str:
    """The earliest open, unacknowledged obligation of the case the person may acknowledge."""
    facts = case_facts(session, get_case(session, acting.case_id), acting.policy)
    waiting = session.exec(
        select(Obligation)
        .where(
            Obligation.case_id == acting.case_id,
            Obligation.status == ObligationStatus.OPEN,
            col(Obligation.acked_at).is_(None),
        )
        .order_by(col(Obligation.due_at), col(Obligation.id))
    ).all()
    if not waiting:
        raise CaseError(f"案件 {acting.case_id} 没有待签收的事项")
    for o in waiting:
        mine = obligation_facts(session, o)
        if refusal(spec, standing, case=facts, obligation=mine) is None:
            return o.key
    check(spec, standing, case=facts, obligation=obligation_facts(session, waiting[0]))
    raise AssertionError("unreachable: the check above refused")


def fields_for(
    session: Session, policy: Policy, name: str, *, case_id: int, subject: str | None
) -> tuple[FormField, ...]:
    """The form action `name` needs (completing an obligation: what its rule needs as proof)."""
    spec = spec_of(name)
    if name != "complete":
        return spec.fields
    if subject is None or not subject.strip():
        raise CaseError("缺少字段 obligation（事项）")
    case = get_case(session, case_id)
    find_obligation(session, case_id=case_id, key=subject.strip())
    return completion_fields(policy.rule_any_grade(case.grade, subject.strip()))
