"""The repository functions of the actions the seeds added beyond the stages (their catalogue
entries are `models.policy.catalogue_seeds`): 批示 `models.repo.instructions`, 处置方案
`models.repo.plans`, 不需要 `models.repo.waivers`, 调整责任单位 and 更正
`models.repo.corrections`, 阶段回退 `models.repo.rewind`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlmodel import Session

from models.repo import corrections, instructions, plans, rewind, waivers
from models.repo.action_form import Acting
from models.repo.changes import Change


def _instruct(s: Session, a: Acting) -> Change:
    return instructions.instruct(s, **a.common(), policy=a.policy, text=a.get("text"))


def _plan(s: Session, a: Acting) -> Change:
    return plans.submit_plan(s, **a.common(), policy=a.policy, text=a.get("text"))


def _waive(s: Session, a: Acting) -> Change:
    key, reason = a.key(), a.get("reason")
    return waivers.waive(s, **a.common(), obligation_key=key, policy=a.policy, reason=reason)


def _units(s: Session, a: Acting) -> Change:
    add, remove = a.units("add"), a.units("remove")
    lead, reason = a.get("lead") or None, a.get("reason")
    return corrections.units(
        s, **a.common(), **a.rules(), add=add, remove=remove, lead=lead, reason=reason
    )


def _correct(s: Session, a: Acting) -> Change:
    category, grade = a.get("category") or None, a.get("grade") or None
    return corrections.correct(
        s, **a.common(), **a.rules(), reason=a.get("reason"), category=category, grade=grade
    )


def _rewind(s: Session, a: Acting) -> Change:
    stage, reason = a.get("stage"), a.get("reason")
    return rewind.request_rewind(s, **a.common(), policy=a.policy, stage=stage, reason=reason)


SEED_PERFORMERS: Mapping[str, Callable[[Session, Acting], Change]] = {
    "instruct": _instruct,
    "plan": _plan,
    "waive": _waive,
    "units": _units,
    "correct": _correct,
    "rewind": _rewind,
}
