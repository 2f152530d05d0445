"""`yuqing serve` as an operator runs it: it says each start-up step and where the console and
Prefect's UI are (on the configured, fixed Prefect port); a deadline that has lapsed reaches the
receiver while serve runs; the console answers on `web.port`; a one-off command finds serve's
Prefect API by itself instead of starting a server; Ctrl-C (SIGINT) shuts everything down with
exit 0. (SIGTERM, kill -9 and the scheduled runs: `test_serve_runs`.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from deployments.serve_record import read_serve
from models.policy.clocks import utc_now
from models.repo.opening import open_case
from models.store.db import session_scope
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from tests.support.web import free_port
from yuqing.localservers import WebhookReceiver

YUQING = str(Path(sys.executable).with_name("yuqing"))


def alerted_paths(receiver: WebhookReceiver, *, case_id: int | None) -> set[str]:
    with receiver.lock:
        received = list(receiver.received)
    return {r.path for r in received if f"案件：{case_id}号" in r.json()["message"]}


def test_serve_delivers_a_lapsed_deadline_and_stops_on_ctrl_c(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    port, prefect_port = free_port(), free_port()
    config = write_office_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[policy]",
            f"[sweep]\ninterval_seconds = 2\n\n[web]\nport = {port}\n\n"
            f"[serve]\nprefect_port = {prefect_port}\n\n[policy]",
        ),
        encoding="utf-8",
    )
    runtime = prepare(str(config))
    with session_scope(runtime.engine) as session:
        case = open_case(
            session,
            title="某中学食堂投诉",
            grade="一级",
            policy=runtime.policy,
            calendar=runtime.calendar,
            discovered_at=utc_now() - timedelta(hours=1),
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    serve = subprocess.Popen(
        [YUQING, "--config", str(config), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Level 1 of the lapsed quick report: the owner (office staff) and the duty officer.
        expected = {"/hook/wangfang", "/hook/zhaomin"}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and serve.poll() is None:
            if expected <= alerted_paths(receiver, case_id=case.id):
                break
            time.sleep(1)
        assert serve.poll() is None, "serve exited early"
        assert expected <= alerted_paths(receiver, case_id=case.id)
        # Sending came first; the console and Prefect's API follow (their address record).
        while time.monotonic() < deadline and not getattr(
            read_serve(tmp_path / "data"), "prefect_api", None
        ):
            time.sleep(0.5)
        # The same process serves the console (and the action links) on web.port.
        sign_in = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
        assert sign_in.status_code == 200 and "登录" in sign_in.text
        # A one-off command uses serve's Prefect API: no server of its own.
        sweep = subprocess.run(
            [YUQING, "--config", str(config), "sweep"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert sweep.returncode == 0, sweep.stderr
        assert "正在启动本地 Prefect 服务" not in sweep.stderr
    finally:
        serve.send_signal(signal.SIGINT)
        output, _ = serve.communicate(timeout=90)
    assert serve.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "ERROR" not in output, output[-3000:]  # a clean Ctrl-C
    assert f"控制台：http://127.0.0.1:{port}/" in output
    assert f"Prefect 界面：http://127.0.0.1:{prefect_port}" in output
    assert "yuqing serve 已停止" in output
    assert not (tmp_path / "data" / "serve.json").exists()


def children_of(pid: int) -> set[int]:
    """Every descendant of `pid`, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set[int](), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


# serve refuses a configuration whose alerts reach nobody: one person on every chain level.
ONE_PERSON_OFFICE = (
    '[[people]]\nid = "wang"\nname = "王芳"\nchannels = ["wang_hook"]\n'
    'roles = ["office_staff", "leader_in_charge", "principal_leader", "group_head"]\n'
)
ONE_PERSON_CHANNEL = '[channels]\nwang_hook = "json://127.0.0.1:9/hook"\n'
