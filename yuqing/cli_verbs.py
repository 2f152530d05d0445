"""The `yuqing case` verbs of the actions the seeds added beyond the stages (named and
described by the catalogue, `models.policy.catalogue_seeds`; carried out like every verb by
`yuqing.cli_action.act`): `instruct` 批示, `plan` 提交处置方案, `waive` 不需要, `units`
调整责任单位, `correct` 更正, `rewind` 阶段回退."""

from __future__ import annotations

import typer

from models.policy.states import CATEGORY_HELP
from yuqing.cli_action import BY, CASE, JSON, act
from yuqing.cli_common import AT


def instruct_cmd(
    case_id: int = CASE,
    text: str = typer.Option(None, "--text", help="批示内容"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("instruct", case_id, by=by, as_json=as_json, form={"text": text})


def plan_cmd(
    case_id: int = CASE,
    text: str = typer.Option(None, "--text", help="处置方案（或实施计划）"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("plan", case_id, by=by, as_json=as_json, form={"text": text})


def waive_cmd(
    case_id: int = CASE,
    obligation: str = typer.Option(None, "--obligation", help="事项代码（如 press_conference）"),
    reason: str = typer.Option(None, "--reason", help="不需要的理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("waive", case_id, by=by, as_json=as_json, form={"reason": reason}, subject=obligation)


def units_cmd(
    case_id: int = CASE,
    add: list[str] = typer.Option(None, "--add", help="增加的责任单位编号（可多次）"),
    remove: list[str] = typer.Option(None, "--remove", help="撤下的责任单位编号（可多次）"),
    lead: str = typer.Option(None, "--lead", help="牵头单位"),
    reason: str = typer.Option(None, "--reason", help="调整理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"add": ",".join(add or []), "remove": ",".join(remove or []), "lead": lead}
    act("units", case_id, by=by, as_json=as_json, form={**form, "reason": reason})


def correct_cmd(
    case_id: int = CASE,
    category: str = typer.Option(None, "--category", help=f"更正类别为：{CATEGORY_HELP}"),
    grade: str = typer.Option(None, "--grade", help="更正等级为（下调须经审批）"),
    reason: str = typer.Option(None, "--reason", help="更正理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    form = {"category": category, "grade": grade, "reason": reason}
    act("correct", case_id, by=by, as_json=as_json, form=form)


def rewind_cmd(
    case_id: int = CASE,
    to: str = typer.Option(None, "--to", help="退回到的阶段（如 dispatched、verified）"),
    reason: str = typer.Option(None, "--reason", help="回退理由"),
    by: str = BY,
    as_json: bool = JSON,
    at: str = AT,
) -> None:
    act("rewind", case_id, by=by, as_json=as_json, form={"stage": to, "reason": reason})


COMMANDS = (instruct_cmd, plan_cmd, waive_cmd, units_cmd, correct_cmd, rewind_cmd)
