"""A person's action, recorded: the one transaction in which a repository function changes the
case, the notices it causes become the case flow's steps, and (for a signed link) the link's
single-use nonce is spent — all three commit together or not at all. It answers at once; the
`case` flow carries out the steps (`tasks.steps`, `flows.case`). A policy refusal (an illegal
stage, a bad extension) is a `CaseError` whose message names the field or the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.policy import PolicyError
from models.repo.cases import CaseError
from models.repo.changes import Change
from models.repo.steps import add_steps
from models.store.db import session_scope
from notifications.links import LinkClaim, LinkRefused, link_used, spend_link
from settings.faults import inject
from tasks.runtime import Runtime

Work = Callable[[Session], Change]


@dataclass(frozen=True)
class Recorded:
    """The change and the ids of the steps it left for the case flow."""

    change: Change
    steps: tuple[int, ...]


def record(
    runtime: Runtime, work: Work, *, at: datetime, link: LinkClaim | None = None
) -> Recorded:
    """Run `work` in one transaction with its notices written as steps (and `link` spent)."""
    try:
        with session_scope(runtime.engine) as session:
            change = work(session)
            steps = add_steps(session, case_id=change.case_id, notices=change.notices, at=at)
            if link is not None:
                spend_link(session, link, at=at)
            inject("act.record")  # a test makes the transaction fail here, in a real process
    except PolicyError as exc:
        raise CaseError(str(exc)) from exc
    except IntegrityError:
        if link is not None and link_used(runtime.engine, link):  # two clicks raced: one acts
            raise LinkRefused("used", "此链接刚刚已被使用：每个链接只能使用一次", link) from None
        raise
    return Recorded(change, tuple(s.id for s in steps if s.id is not None))
