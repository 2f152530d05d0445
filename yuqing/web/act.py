"""Acting from the web, the console's forms and the signed links alike: the action as one task
run (`yuqing.actions.run`) as the signed-in person (their account's roles bounding theirs) or the
link's recipient, then its steps handed on (`deployments.handoff`: the app's runner is poked)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fastapi import Request

from deployments.handoff import hand_off
from models.repo.changes import Change
from notifications.links import LinkClaim
from tasks.act import ActionRequest
from yuqing import actions
from yuqing.web.pages import now_of, runtime_of
from yuqing.web.security import SignedIn


def perform(
    request: Request,
    user: SignedIn,
    name: str,
    case_id: int,
    form: Mapping[str, str],
    subject: str | None,
) -> Change:
    """A console form's action, as the signed-in person."""
    at = now_of(request)
    asked = ActionRequest(
        action=name,
        case_id=case_id,
        person=user.person,
        at=at,
        via="console",
        form=dict(form),
        subject=subject,
        bound=user.bound,
        account=user.username,
    )
    return _done(request, actions.run(request.app.state.config, asked), at)


def perform_link(
    request: Request, claim: LinkClaim, form: Mapping[str, str], *, person: str, at: datetime
) -> Change:
    """A signed link's action, as `person` (the one the link page decided acts), spending it."""
    asked = ActionRequest(
        action=claim.action,
        case_id=claim.case_id,
        person=person,
        at=at,
        via="link",
        form=dict(form),
        subject=claim.obligation_key,
        link=claim,
    )
    return _done(request, actions.run(request.app.state.config, asked), at)


def _done(request: Request, change: Change, at: datetime) -> Change:
    runtime = runtime_of(request)
    poke = request.app.state.after_change
    hand_off(runtime, request.app.state.config, change.case_id, at=at, poke=poke)
    return change
