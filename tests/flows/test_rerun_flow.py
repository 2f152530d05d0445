"""The re-run path with real parts: the `rerun-case` flow under Prefect on a case whose deadline
row was lost (re-created from its anchor, its alerts delivered through Apprise to the local
receiver, a second run adding nothing), a case flow step made to fail (the fault switch a test
sets from outside: the step is recorded as failed, `case list --stuck` shows it, nobody was told,
and a re-run carries out exactly that step, its people told once), the CLI `case rerun` and
`case list --stuck` on a good and an unknown case, and the deployment an operator starts from
the Prefect UI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.utilities.callables import parameter_schema
from sqlalchemy import delete
from sqlmodel import col
from typer.testing import CliRunner

from deployments.declared import local
from flows.rerun import rerun_case
from models.policy.clocks import utc_now
from models.policy.states import EventKind
from models.repo.cases import case_timeline
from models.repo.opening import open_case
from models.store.db import session_scope
from models.store.tables import Obligation
from settings.faults import FAULTS_ENV
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

pytestmark = pytest.mark.flows


def _config(directory: Path, database_url: str, receiver: WebhookReceiver, preset: str) -> str:
    directory.mkdir()
    path = write_office_config(
        directory, database_url=database_url, receiver=receiver, preset=preset
    )
    return str(path)


def _case(config: str, *, minutes_ago: int, lose_quick_report: bool = True) -> int:
    """A 一级 case discovered `minutes_ago`, by default with its quick-report deadline row lost."""
    runtime = prepare(config)
    with session_scope(runtime.engine) as session:
        case = open_case(
            session,
            title="某中学食堂投诉",
            grade="一级",
            policy=runtime.policy,
            calendar=runtime.calendar,
            discovered_at=utc_now() - timedelta(minutes=minutes_ago),
        )
        assert case.id is not None
        if not lose_quick_report:
            return case.id
        session.execute(
            delete(Obligation).where(
                col(Obligation.case_id) == case.id, col(Obligation.key) == "quick_report"
            )
        )
        return case.id


def _cli(config: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--config", config, "case", *args])
    return result.exit_code, result.output


def test_rerun_flow_recreates_the_lost_deadline_and_delivers_once(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    config = _config(tmp_path / "office", database_url, receiver, "default")
    case_id = _case(config, minutes_ago=31)  # due 1 minute ago
    at = utc_now()

    summary = rerun_case(case_id=case_id, config=config, at=at)
    assert summary["stuck"] and summary["recreated"] == ["quick_report"]
    assert "按原起算时间补建时限：快报" in summary["message"]
    assert (summary["sweep"]["levels_fired"], summary["dispatch"]["sent"]) == (1, 3)
    paths = sorted(r.path for r in receiver.received)
    assert paths == ["/hook/liqiang", "/hook/wangfang", "/hook/zhaomin"]
    assert "快报已超时" in receiver.received[0].json()["title"]

    with session_scope(prepare(config).engine) as session:
        before = [e.model_dump() for e in case_timeline(session, case_id)]
    again = rerun_case(case_id=case_id, config=config, at=at)
    assert not again["stuck"] and again["dispatch"]["sent"] == 0
    with session_scope(prepare(config).engine) as session:
        assert [e.model_dump() for e in case_timeline(session, case_id)] == before
    assert len(receiver.received) == 3


def test_a_failed_step_is_listed_and_a_rerun_carries_it_out_once(
    prefect_harness: str,
    database_url: str,
    tmp_path: Path,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _config(tmp_path / "office", database_url, receiver, "default")
    case_id = _case(config, minutes_ago=5, lose_quick_report=False)
    faults = tmp_path / "faults"
    faults.write_text("case_step:quick_report\n", encoding="utf-8")
    monkeypatch.setenv(FAULTS_ENV, str(faults))

    result = CliRunner().invoke(app, ["--config", config, "case", "report", str(case_id)])
    assert result.exit_code == 0, result.output  # the report is recorded: the stage moved
    assert "部分步骤失败，已记录" in result.stderr
    assert not [r for r in receiver.received if "舆情快报" in r.json()["title"]]
    code, output = _cli(config, "list", "--stuck", "--json")
    (listed,) = json.loads(output)
    assert (listed["id"], listed["reasons"]) == (case_id, ["step_failed"])
    assert "InjectedFault" in listed["findings"][0]["detail"]

    faults.write_text("", encoding="utf-8")  # the fault is gone: the re-run gets through
    code, output = _cli(config, "rerun", str(case_id), "--by", "赵敏")
    assert code == 0, output
    reports = [r.path for r in receiver.received if "舆情快报" in r.json()["title"]]
    # 一级's report targets: the office head (陈军), the leader in charge, the duty officer.
    assert sorted(reports) == ["/hook/chenjun", "/hook/liqiang", "/hook/zhaomin"]
    assert _cli(config, "list", "--stuck") == (0, "没有卡住的案件\n")
    _cli(config, "rerun", str(case_id))
    assert len([r for r in receiver.received if "舆情快报" in r.json()["title"]]) == 3
    with session_scope(prepare(config).engine) as session:
        kinds = [e.kind for e in case_timeline(session, case_id)]
    assert kinds.count(EventKind.STEP_FAILED) == 1


def test_cli_rerun_and_list_stuck_on_good_and_unknown_cases(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    config = _config(tmp_path / "office", database_url, receiver, "default")
    stuck_id = _case(config, minutes_ago=5)
    healthy = _case(config, minutes_ago=5, lose_quick_report=False)

    code, output = _cli(config, "list", "--stuck")
    assert code == 0 and "缺少时限" in output and "快报" in output
    assert "共 1 个案件卡住" in output

    code, output = _cli(config, "rerun", str(healthy), "--json")
    assert code == 0, output
    data = json.loads(output)
    assert (data["case_id"], data["stuck"], data["found"], data["dispatch"]["sent"]) == (
        healthy,
        False,
        [],
        0,
    )
    code, output = _cli(config, "rerun", str(healthy))
    assert code == 0 and output.strip().splitlines()[-1] == (
        f"案件 {healthy} 无需修复；已检查到期时限与待发通知（催办 0 级，发送通知 0 条）"
    )

    code, output = _cli(config, "rerun", "999")
    assert code == 2 and "案件 999 不存在" in output
    code, output = _cli(config, "rerun", str(stuck_id), "--json")
    assert code == 0 and json.loads(output)["recreated"] == ["quick_report"]
    assert _cli(config, "list", "--stuck", "--json") == (0, "[]\n")


def test_the_rerun_deployment_takes_the_case_id_from_the_operator(tmp_path: Path) -> None:
    config = tmp_path / "yuqing.toml"
    config.write_text('[general]\ndata_dir = "data"\n', encoding="utf-8")
    [deployment] = [s.deployment for s in local(str(config)) if s.flow is rerun_case]
    assert (deployment.flow_name, deployment.name) == ("rerun-case", "manual")
    assert deployment.parameters == {"config": str(config)}
    assert not deployment.schedules
    assert deployment.entrypoint == "flows.rerun.rerun_case"
    schema = parameter_schema(rerun_case)  # what the UI asks for: the case id, nothing else
    assert schema.required == ["case_id"] and set(deployment.parameters) <= set(schema.properties)
