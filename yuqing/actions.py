"""A person's action from any front (the CLI's verbs, the console's forms, the signed links, the
demo), in one call: `run` starts the `act` task (one Prefect task run: look up, check the
catalogue's permission, change, record the steps — one transaction) and turns a refusal into
the exception its front answers with: `Forbidden` (403, exit 2), `CaseNotFound` (404),
`LinkRefused` (a link a racing click spent first), `CaseError` (422, exit 2). The steps are then
handed on by `deployments.handoff`. `form_of` says which form an action needs. The process must
have a Prefect API (serve's, `yuqing web`'s, or the CLI's `flow_api`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.policy.forms import FormField
from models.repo.acting import fields_for
from models.repo.cases import CaseError, CaseNotFound, get_case
from models.repo.changes import Change
from models.store.db import session_scope
from notifications.links import LinkRefused
from tasks.runtime import Runtime

if TYPE_CHECKING:
    from tasks.act import ActionRequest


def run(config: str | None, request: ActionRequest) -> Change:
    """Carry the action out as one task run; the change, or the refusal raised."""
    from models.repo.access import Forbidden
    from tasks.act import act  # Prefect is imported when an action runs, not at start-up

    name = f"{request.action}-case-{request.case_id}" if request.case_id else request.action
    acted = act.with_options(task_run_name=name)(request, config)
    if acted.change is not None:
        return acted.change
    if acted.kind == "forbidden":
        raise Forbidden(acted.refused, next_step=acted.next_step)
    if acted.kind == "not_found":
        raise CaseNotFound(acted.refused)
    if acted.kind == "used":
        raise LinkRefused("used", acted.refused, request.link)
    raise CaseError(acted.refused, next_step=acted.next_step)


def outcome(runtime: Runtime, change: Change, carried: dict[str, Any]) -> dict[str, Any]:
    """What a command prints of a carried-out action (here or by serve): its message, data,
    notices, the case's stage and what became of its steps."""
    with session_scope(runtime.engine) as session:
        stage = get_case(session, change.case_id).stage.value
    return {
        "message": change.message,
        "data": change.data,
        "notices": len(change.notices),
        "stage": stage,
        "carried_out": carried,
    }


def form_of(
    runtime: Runtime, action: str, *, case_id: int, subject: str | None
) -> tuple[FormField, ...]:
    """The fields `action` asks for here (completing: what the obligation's rule needs)."""
    with session_scope(runtime.engine) as session:
        return fields_for(session, runtime.policy, action, case_id=case_id, subject=subject)
