"""A command's action, carried out by the running `yuqing serve`: `POST /serve/act`.

A `case` verb on the machine where serve runs need not import Prefect (seconds) to run its
action as a task run: it sends the action here, and serve, whose Prefect is loaded and whose
runner carries out the steps, runs the same `act` task (`yuqing.actions.run`) and hands the
steps on. Only serve's app answers (it has a secret, kept in its `serve.json`, readable by its
owner only), only to this machine (a loopback peer), only with that secret: anything else is
404, as if the path did not exist. The action is checked like any other (who acts, the
catalogue, the case's scope); a refusal comes back with its kind and its Chinese reason, which
the command prints as it would have printed its own."""

from __future__ import annotations

import hmac
from datetime import datetime
from ipaddress import ip_address
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from deployments.handoff import hand_off
from models.repo.access import Forbidden
from models.repo.cases import CaseError, CaseNotFound
from tasks.act import ActionRequest
from yuqing import actions
from yuqing.web.pages import runtime_of

router = APIRouter(prefix="/serve", include_in_schema=False)
REFUSALS: tuple[tuple[type[Exception], int, str], ...] = (
    (Forbidden, 403, "forbidden"),
    (CaseNotFound, 404, "not_found"),
    (CaseError, 422, "refused"),
)


class CommandAction(BaseModel):
    """What `yuqing case VERB` asks for (`tasks.act.ActionRequest` as the command line fills it)."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(max_length=40)
    case_id: int = Field(ge=0, le=2**31 - 1)
    person: str | None = Field(default=None, max_length=64)
    at: datetime
    form: dict[str, str] = Field(default_factory=dict, max_length=40)
    subject: str | None = Field(default=None, max_length=64)
    os_user: str | None = Field(default=None, max_length=64)


def _from_this_machine(request: Request, authorization: str) -> bool:
    token: str | None = request.app.state.act_token
    if not token or request.client is None:
        return False
    try:
        local = ip_address(request.client.host).is_loopback
    except ValueError:
        return False
    return local and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())


@router.post("/act")
def act_for_a_command(
    asked: CommandAction, request: Request, authorization: str = Header("")
) -> Any:
    if not _from_this_machine(request, authorization):
        raise HTTPException(status_code=404)
    config, runtime = request.app.state.config, runtime_of(request)
    action = ActionRequest(via="cli", **asked.model_dump())
    try:
        change = actions.run(config, action)
    except tuple(kind for kind, _, _ in REFUSALS) as exc:
        status, kind = next((s, k) for t, s, k in REFUSALS if isinstance(exc, t))
        step = getattr(exc, "next_step", None)
        shown = {"kind": kind, "detail": str(exc), "next_step": jsonable_encoder(step)}
        return JSONResponse(shown, status_code=status)
    poke = request.app.state.after_change
    carried = hand_off(runtime, config, change.case_id, at=asked.at, poke=poke)
    return jsonable_encoder(actions.outcome(runtime, change, carried))
