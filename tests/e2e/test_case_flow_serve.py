"""The case flow under a real `yuqing serve`: a person's command is recorded at once and serve's
runner carries out what it causes as a `case` flow run named after the case, whose task runs
Prefect's API lists (one per step, then the dispatch). A step made to fail (the fault switch a
test sets from outside the process) leaves the case on the stuck list with nothing sent; a run of
the `rerun-case` deployment, started through Prefect's API as an operator starts it from the UI,
carries that step out, and nobody gets anything twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deployments.serve_record import serve_ready
from tests.support.configs import write_office_config
from tests.support.web import free_port
from yuqing.localservers import WebhookReceiver

pytestmark = pytest.mark.flows
YUQING = str(Path(sys.executable).with_name("yuqing"))


def wait_for(what: str, check: Callable[[], Any], seconds: float = 180) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


class Serve:
    def __init__(self, config: Path, env: dict[str, str], cwd: Path) -> None:
        self.config, self.env, self.cwd = config, env, cwd
        self.api = ""

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [YUQING, "--config", str(self.config), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.api}{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def flow_runs(self, name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.post(
            "/flow_runs/filter", {"flow_runs": {"name": {"any_": [name]}}}
        )
        return found

    def task_names(self, flow_run_id: str) -> list[str]:
        runs = self.post(
            "/task_runs/filter", {"task_runs": {"flow_run_id": {"any_": [flow_run_id]}}}
        )
        return sorted(r["name"] for r in runs)


@pytest.fixture
def serve(tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Serve]:
    config = write_office_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[policy]",
            f"[web]\nport = {free_port()}\n\n[serve]\nprefect_port = {free_port()}\n\n[policy]",
        ),
        encoding="utf-8",
    )
    faults = tmp_path / "faults"
    faults.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["YUQING_FAULTS_FILE"] = str(faults)
    process = subprocess.Popen(
        [YUQING, "--config", str(config), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    data = tmp_path / "data"
    try:
        ready = lambda: serve_ready(data) is not None or process.poll() is not None  # noqa: E731
        wait_for("serve to start", ready, 300)
        assert process.poll() is None, process.communicate()[0]
        running = Serve(config, env, tmp_path)
        running.api = json.loads((data / "serve.json").read_text())["prefect_api"]
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        print(output[-4000:])


def got(receiver: WebhookReceiver, marker: str) -> list[str]:
    with receiver.lock:
        return sorted(r.path for r in receiver.received if marker in r.json()["title"])


def test_stage_changes_run_as_case_flows_and_a_failed_step_is_rerun_once(
    serve: Serve, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    registered = serve.cli(
        "case", "register", "--title", "某中学食堂投诉", "--grade", "一级", "--json"
    )
    assert registered.returncode == 0, registered.stderr
    case_id = json.loads(registered.stdout)["case_id"]

    reported = serve.cli("case", "report", str(case_id), "--by", "王芳")
    assert reported.returncode == 0, reported.stderr
    assert "已由运行中的 yuqing serve" in reported.stderr  # serve ran the action and its flow
    targets = ["/hook/chenjun", "/hook/liqiang", "/hook/zhaomin"]  # 一级's report targets
    wait_for("the quick report", lambda: got(receiver, "舆情快报") == targets)

    # Registering at 一级 (an upgrade told) and reporting each ran a case flow named after it.
    def reporting_run() -> list[str] | None:
        for run in serve.flow_runs(f"case-{case_id}"):
            tasks = serve.task_names(run["id"]) if run["state_type"] == "COMPLETED" else []
            if any(name.startswith("quick_report-") for name in tasks):
                return tasks
        return None

    tasks = wait_for("the case flow run with its task runs", reporting_run)
    assert any(name.startswith("waiting_steps") for name in tasks), tasks
    assert any(name.startswith("dispatch_outbox") for name in tasks), tasks

    assessed = serve.cli(
        "case",
        "assess",
        str(case_id),
        "--grade",
        "一级",
        "--category",
        "inquiry",
        "--unit",
        "school",
        "--by",
        "李强",
    )
    assert assessed.returncode == 0, assessed.stderr
    (tmp_path / "faults").write_text("case_step:contact_sheet\n", encoding="utf-8")
    dispatched = serve.cli("case", "dispatch", str(case_id), "--by", "王芳")
    assert dispatched.returncode == 0, dispatched.stderr  # recorded: the stage moved
    wait_for(
        "the failed case flow run",
        lambda: [r for r in serve.flow_runs(f"case-{case_id}") if r["state_type"] == "FAILED"],
    )
    stuck = json.loads(serve.cli("case", "list", "--stuck", "--json").stdout)
    assert [(s["id"], s["reasons"]) for s in stuck] == [(case_id, ["step_failed"])]
    assert got(receiver, "联系单") == []

    (tmp_path / "faults").write_text("", encoding="utf-8")
    deployment = httpx.get(f"{serve.api}/deployments/name/rerun-case/manual", timeout=10).json()
    serve.post(
        f"/deployments/{deployment['id']}/create_flow_run", {"parameters": {"case_id": case_id}}
    )
    sheet = ["/hook/liuyang", "/hook/zhangwei"]
    wait_for("the contact sheet", lambda: got(receiver, "联系单") == sheet, seconds=240)
    wait_for(
        "the re-run to finish",
        lambda: [
            r for r in serve.flow_runs(f"rerun-case-{case_id}") if r["state_type"] == "COMPLETED"
        ],
    )
    assert json.loads(serve.cli("case", "list", "--stuck", "--json").stdout) == []
    time.sleep(2)  # anything sent twice would have arrived by now
    assert got(receiver, "联系单") == sheet and got(receiver, "舆情快报") == targets
