"""One action a person takes from the command line, carried out: who acts (`--by`, else the
configured `[cli] operator`; the OS user is kept), one Prefect task run (`yuqing.actions.run`)
in the running `yuqing serve` when there is one (`through_serve`: the command then loads no
Prefect and returns at once), else here with its steps handed on (`deployments.handoff`); the
outcome printed, or `--json`; exit 2 on a refusal. The verbs: `yuqing.cli_act`,
`yuqing.cli_verbs`, `yuqing.cli_register`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from models.policy.catalogue import spec

if TYPE_CHECKING:
    from tasks.runtime import Runtime

from yuqing.cli_common import (
    config_arg,
    console,
    flow_api,
    now,
    print_json,
    progress,
    refusals,
    who_acts,
)

CASE = typer.Argument(..., help="案件编号", min=1, max=2**31 - 1)
BY = typer.Option(None, "--by", help="办理人：人员编号或姓名（默认：配置的 [cli] operator）")
JSON = typer.Option(False, "--json", help="输出 JSON")


def opt(action: str, name: str, flag: str) -> Any:
    """An option named after the catalogue's field of `action`."""
    return typer.Option(None, flag, help=spec(action).field(name).label)


def act(
    action: str,
    case_id: int,
    *,
    by: str | None,
    as_json: bool,
    form: Mapping[str, str | None] | None = None,
    subject: str | None = None,
) -> None:
    """Record the action as one task run (as `--by`, the configured operator or the command
    line) — by the running serve when there is one, else here — hand its steps on, print the
    outcome; exit 2 on a refusal."""
    from tasks.runtime import prepare

    with refusals():
        config = config_arg()
        runtime = prepare(config)
        who = who_acts(runtime, by)
        asked: dict[str, Any] = {
            "action": action,
            "case_id": case_id,
            "person": who.person,
            "at": now(),
            "form": {k: v for k, v in (form or {}).items() if v is not None},
            "subject": subject,
            "os_user": who.os_user,
        }
        done = through_serve(runtime.settings.general.data_dir, asked)
        if done is None:
            done = _here(runtime, config, asked)
    if as_json:
        data = {k: done[k] for k in ("stage", "notices", "carried_out")}
        print_json({"stage": done["stage"], **done["data"], **data})
        return
    console.print(escape(done["message"]))


def through_serve(data_dir: Path, asked: dict[str, Any]) -> dict[str, Any] | None:
    """The action carried out by the running serve of `data_dir` (`yuqing.web.local_act`): its
    answer, a refusal raised as the command's own, or None when no serve takes it (none runs,
    it has no console, or it does not answer): then the command acts itself."""
    import httpx

    from deployments.serve_record import serve_alive
    from models.repo.access import Forbidden
    from models.repo.cases import CaseError, CaseNotFound, NextStep

    serve = serve_alive(data_dir)
    if serve is None or not serve.console or not serve.act_token:
        return None
    body = {**asked, "at": asked["at"].isoformat()}
    headers = {"Authorization": f"Bearer {serve.act_token}"}
    try:
        answer = httpx.post(f"{serve.console}/serve/act", json=body, headers=headers, timeout=300)
    except httpx.HTTPError:
        return None
    if answer.status_code == 200:
        progress(f"已由运行中的 yuqing serve（进程 {serve.pid}）办理")
        return dict(answer.json())
    refused = {"forbidden": Forbidden, "not_found": CaseNotFound, "refused": CaseError}
    try:
        kind, detail = answer.json()["kind"], answer.json()["detail"]
        step = answer.json().get("next_step")
        next_step = (
            None
            if step is None
            else NextStep(step["action"], step["case_id"], tuple((n, v) for n, v in step["fields"]))
        )
    except (ValueError, KeyError, TypeError):
        return None  # not serve's answer (an older serve, a proxy): act here
    raise refused.get(kind, CaseError)(detail, next_step=next_step)


def _here(runtime: Runtime, config: str | None, asked: dict[str, Any]) -> dict[str, Any]:
    """The action as a task run of this process (a Prefect API of its own), steps handed on."""
    from deployments.handoff import hand_off
    from tasks.act import ActionRequest
    from yuqing.actions import outcome, run

    request = ActionRequest(via="cli", **asked)
    with flow_api():
        change = run(config, request)
        carried = hand_off(runtime, config, change.case_id, at=request.at, say=progress)
    return outcome(runtime, change, carried)
