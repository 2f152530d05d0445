"""Who acted is true, from the command line, on a real database (SQLite and PostgreSQL) with a real
Prefect API: `--by` must name a person of the directory (exit 2 naming the field, nothing done);
without it a configured `[cli] operator` acts, or — with none — actions needing an identified
person are refused and the others are recorded as 命令行 with the OS user who ran them; a person
acts only where the catalogue lets them (exit 2, 无权办理); forms and documents name people,
never OS users; and every action is a task run of its own in Prefect."""

from __future__ import annotations

import getpass
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from models.policy.clocks import utc_now
from models.repo.cases import case_obligations, case_timeline
from models.store.db import session_scope
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from yuqing.cli import app
from yuqing.localservers import WebhookReceiver

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def config(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[str]:
    path = str(write_office_config(tmp_path, database_url=database_url, receiver=receiver))
    yield path
    prepare(path).engine.dispose()


@pytest.fixture
def operated(database_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[str]:
    """The same office with `[cli] operator = "wangfang"`."""
    path = write_office_config(tmp_path, database_url=database_url, receiver=receiver)
    path.write_text(path.read_text(encoding="utf-8") + '\n[cli]\noperator = "wangfang"\n')
    yield str(path)
    prepare(str(path)).engine.dispose()


def yq(config: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", config, *args])


def register(config: str, title: str = "市民来电：某中学食堂") -> str:
    result = yq(config, "case", "register", "--title", title, "--by", "王芳")
    assert result.exit_code == 0, result.output
    return result.stdout.split("→ 案件 ")[1].split("（")[0]


def events(config: str, case: str) -> list[tuple[str, str, dict[str, object]]]:
    with session_scope(prepare(config).engine) as session:
        return [(e.actor, e.message, e.data) for e in case_timeline(session, int(case))]


def test_by_must_name_a_person_of_the_directory(config: str) -> None:
    case = register(config)
    before = events(config, case)
    unknown = yq(config, "case", "ack", case, "--by", "不存在的人")
    assert unknown.exit_code == 2
    assert "字段 --by（办理人）：人员名录中没有 '不存在的人'" in unknown.stderr
    assert events(config, case) == before
    by_name = yq(config, "case", "ack", case, "--by", "王芳")  # a unique name is enough
    assert by_name.exit_code == 0 and "已签收" in by_name.stdout
    actor, message, data = events(config, case)[-1]
    assert (actor, message.split(" ")[0]) == ("wangfang", "王芳")
    assert data["via"] == "cli" and data["os_user"] == getpass.getuser()


def test_without_by_an_identified_action_is_refused_and_the_others_say_command_line(
    config: str,
) -> None:
    case = register(config)
    until = (utc_now() + timedelta(days=1)).isoformat(timespec="minutes")
    ask = ["case", "extend", case, "--obligation", "quick_report", "--until", until]
    refused = yq(config, *ask, "--reason", "等待核实")
    assert refused.exit_code == 2 and "申请延期须注明办理人：请指明人员编号或姓名" in refused.stderr
    assert "命令：加上 --by …" in refused.stderr  # the command line's own words for it
    acked = yq(config, "case", "ack", case)
    assert acked.exit_code == 0 and "（命令行）" in acked.stdout
    actor, message, data = events(config, case)[-1]
    assert (actor, message.split(" ")[0]) == ("cli", "命令行")
    assert data == {"via": "cli", "os_user": getpass.getuser(), "obligation": "quick_report"}
    with session_scope(prepare(config).engine) as session:
        quick = next(o for o in case_obligations(session, int(case)) if o.key == "quick_report")
    assert quick.acked_by == "cli" != getpass.getuser()


def test_a_configured_operator_acts_without_by(operated: str) -> None:
    case = register(operated)
    until = (utc_now() + timedelta(days=1)).isoformat(timespec="minutes")
    asked = yq(
        operated, "case", "extend", case, "--obligation", "quick_report", "--until", until,
        "--reason", "等待核实",
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    [(actor, message, data)] = [e for e in events(operated, case) if "申请延期审批" in e[1]]
    assert actor == "wangfang" and message.startswith("王芳 申请延期审批")
    assert data["os_user"] == getpass.getuser()


def test_a_person_acts_only_where_the_catalogue_lets_them(config: str) -> None:
    case = register(config)
    before = events(config, case)
    school = yq(config, "case", "ack", case, "--obligation", "quick_report", "--by", "张伟")
    assert school.exit_code == 2 and "无权办理" in school.stderr
    assert "事项“快报”不由 市一中 办理，不能签收" in school.stderr
    leader = yq(config, "case", "dispatch", case, "--by", "李强")
    assert leader.exit_code == 2 and "李强（分管领导）不能下发联系单" in leader.stderr
    assert events(config, case) == before


def _filler(workbook: Path) -> str:
    """The 填表人 line of the S0-14 ledger's header (its own cell, or part of one)."""
    book = load_workbook(io.BytesIO(workbook.read_bytes()))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    (line,) = [c for c in cells if "填表人" in c]
    return line[line.index("填表人") :]


def test_forms_and_documents_name_people_never_the_os_user(config: str, tmp_path: Path) -> None:
    case = register(config)
    os_user = getpass.getuser()
    ledger = tmp_path / "ledger.xlsx"
    month = f"{utc_now():%Y-%m}"
    named = yq(config, "report", "monthly", "--month", month, "--out", str(ledger), "--by", "王芳")
    assert named.exit_code == 0, named.output
    assert "填表人：王芳" in _filler(ledger)
    anonymous = yq(config, "report", "monthly", "--month", month, "--out", str(ledger))
    assert anonymous.exit_code == 0, anonymous.output
    assert _filler(ledger).startswith("填表人：") and os_user not in _filler(ledger)
    quick = tmp_path / "quick.docx"
    assert yq(config, "report", "quick", case, "--out", str(quick)).exit_code == 0
    text = "\n".join(p.text for p in docx.Document(str(quick)).paragraphs)
    assert "报送单位：办公室" in text and os_user not in text
    other = register(config, "网民发帖：某小学门口拥堵")  # a document keeps who first sent it
    assert yq(config, "report", "quick", other, "--out", str(quick), "--by", "李强").exit_code == 0
    assert "报送人：李强" in "\n".join(p.text for p in docx.Document(str(quick)).paragraphs)


@pytest.fixture(scope="module")
def recording_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server with its services, as `yuqing serve` runs it: its task-run recorder
    turns the task runs' events into records (a server for one command's runs skips it)."""
    from deployments.local_server import start_server
    from deployments.prefect_api import drain_prefect

    server = start_server(tmp_path_factory.mktemp("recording-prefect"), services=True)
    try:
        yield server.url
    finally:
        drain_prefect()
        server.stop()


def test_every_action_is_a_task_run_of_its_own(config: str, recording_server: str) -> None:
    """Three commands in their own processes (as people run them) against the server: the
    registration, an acknowledgement, and a refused acknowledgement are three task runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
    from prefect.client.schemas.objects import TaskRun

    from deployments.prefect_api import use_api

    env = {**os.environ, "PREFECT_API_URL": recording_server, "PYTHONUTF8": "1"}
    yuqing = str(Path(sys.executable).with_name("yuqing"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [yuqing, "--config", config, "case", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    # The server outlives one backend's run of this test: only this run's task runs count.
    started = datetime.now(UTC)
    registered = run("register", "--title", "市民来电：某中学食堂", "--by", "王芳")
    assert registered.returncode == 0, registered.stderr
    case = registered.stdout.split("→ 案件 ")[1].split("（")[0]
    assert run("ack", case, "--by", "王芳").returncode == 0
    assert run("ack", case, "--by", "张伟").returncode == 2  # refused: a task run all the same
    wanted = TaskRunFilter(name=TaskRunFilterName(any_=[f"ack-case-{case}", "register"]))
    found: list[TaskRun] = []
    with use_api(recording_server), get_client(sync_client=True) as client:
        for _ in range(120):  # the recorder writes them from the runs' events, a moment later
            runs = client.read_task_runs(task_run_filter=wanted)
            found = [r for r in runs if r.created is not None and r.created >= started]
            if len(found) == 3:
                break
            time.sleep(0.5)
    names = sorted(run.name for run in found)
    assert names == ["ack-case-" + case] * 2 + ["register"]
    assert {run.state_name for run in found} == {"Completed"}
