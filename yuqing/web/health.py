"""`/healthz`: the setup's health as JSON for monitoring (`deployments.status`, what `yuqing
status --json` prints), 200 when nothing is down and 503 when something is. Anyone may ask a
monitor's question, so it answers with each check's name and verdict only; the details (people,
channels, addresses) are for a signed-in account, on the same address."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from deployments.status import gather
from yuqing.web.pages import runtime_of
from yuqing.web.signin import current_user

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    report = gather(runtime_of(request), now=request.app.state.now())
    data: dict[str, Any] = report.to_json()
    if current_user(request) is None:
        data["checks"] = [{k: c[k] for k in ("name", "ok", "down")} for c in data["checks"]]
        data["faults"] = [{"key": f["key"], "since": f["since"]} for f in data["faults"]]
    return JSONResponse(data, status_code=503 if report.down else 200)
