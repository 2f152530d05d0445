"""`yuqing serve` as an operator runs it: a deadline that has lapsed reaches the receiver while
serve runs, the console answers on `web.port`, and Ctrl-C (SIGINT) shuts everything down
cleanly with exit 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from models.cases import open_case
from models.clock import utc_now
from models.db import session_scope
from tests.support.configs import write_office_config
from tests.support.web import free_port
from yuqing.localservers import WebhookReceiver
from yuqing.runtime import prepare

YUQING = str(Path(sys.executable).with_name("yuqing"))


def alerted_paths(receiver: WebhookReceiver, *, case_id: int | None) -> set[str]:
    with receiver.lock:
        received = list(receiver.received)
    return {r.path for r in received if f"案件：{case_id}号" in r.json()["message"]}


def test_serve_delivers_a_lapsed_deadline_and_stops_on_ctrl_c(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    port = free_port()
    config = write_office_config(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'yq.db'}", receiver=receiver
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[policy]", f"[sweep]\ninterval_seconds = 2\n\n[web]\nport = {port}\n\n[policy]"
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
        # The same process serves the console (and the action links) on web.port.
        sign_in = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
        assert sign_in.status_code == 200 and "登录" in sign_in.text
    finally:
        serve.send_signal(signal.SIGINT)
        output, _ = serve.communicate(timeout=90)
    assert serve.returncode == 0, output[-3000:]
    assert "yuqing serve 已停止" in output
