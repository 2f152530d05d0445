"""Where a command's flow runs report (`deployments.prefect_api`), with real Prefect servers on a
Prefect home that has never been used: a started server answers and is gone after `stop`; it
dies with its owner even on `kill -9`; a server whose owner died is ended by the next start on
that home; a command finds a running serve by its address file; a server that cannot start is
one line naming the log, not a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deployments.local_server import (
    SERVER_RECORD,
    PrefectUnavailable,
    end_orphan,
    healthy,
    start_server,
)
from deployments.pids import alive
from deployments.prefect_api import running_serve
from deployments.serve_record import ServeRecord, write_serve


def wait_gone(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def wait_exec(pid: int) -> None:
    """Until the child has exec'd its own command (its /proc cmdline names `time.sleep`)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if b"time.sleep" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return
        time.sleep(0.02)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh Prefect home for the module: the first start migrates its database."""
    return tmp_path_factory.mktemp("prefect-home")


def test_a_started_server_answers_then_stops_and_forgets_its_record(home: Path) -> None:
    said: list[str] = []
    server = start_server(home, say=said.append)
    try:
        assert healthy(server.url)
        assert json.loads((home / SERVER_RECORD).read_text())["pid"] == server.process.pid
        assert said[0].startswith("正在启动本地 Prefect 服务") and "已就绪" in said[-1]
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert not (home / SERVER_RECORD).exists()


def test_the_server_dies_with_its_owner_on_kill_9(home: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from deployments.local_server import start_server; "
            f"s = start_server(Path({str(home)!r})); "
            f"Path({str(pid_file)!r}).write_text(str(s.process.pid)); time.sleep(600)",
        ],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 300
        while not pid_file.exists() and time.monotonic() < deadline and owner.poll() is None:
            time.sleep(0.2)
        server_pid = int(pid_file.read_text())
        assert alive(server_pid)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert wait_gone(server_pid), "the Prefect server outlived its killed owner"


def test_a_server_whose_owner_died_is_ended_by_the_next_start(home: Path) -> None:
    dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_owner.wait()
    # Stands in for a server left running by an owner that died: its argv names prefect.
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)", "prefect", "server", "start"]
    )
    wait_exec(orphan.pid)
    record = {"pid": orphan.pid, "owner": dead_owner.pid, "url": "http://127.0.0.1:9/api"}
    (home / SERVER_RECORD).write_text(json.dumps(record))
    said: list[str] = []
    end_orphan(home, say=said.append)
    assert orphan.wait(timeout=10) is not None
    assert said == [f"结束上次异常退出遗留的 Prefect 服务（进程 {orphan.pid}）"]
    assert not (home / SERVER_RECORD).exists()


def test_an_orphan_record_never_ends_a_process_that_is_not_prefect(home: Path) -> None:
    dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_owner.wait()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    wait_exec(bystander.pid)
    try:
        record = {"pid": bystander.pid, "owner": dead_owner.pid, "url": "x"}
        (home / SERVER_RECORD).write_text(json.dumps(record))
        end_orphan(home)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
        (home / SERVER_RECORD).unlink(missing_ok=True)


def test_a_command_finds_a_running_serve_by_its_address_file(home: Path, tmp_path: Path) -> None:
    server = start_server(home)
    try:
        write_serve(tmp_path, ServeRecord(pid=os.getpid(), prefect_api=server.url))
        found = running_serve(tmp_path)
        assert found is not None and found.prefect_api == server.url
    finally:
        server.stop()
    assert running_serve(tmp_path) is None  # the record stays, but nothing answers it


def test_a_server_that_cannot_start_is_one_line_naming_its_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "profiles.toml").write_text("this is [not toml", encoding="utf-8")
    with pytest.raises(PrefectUnavailable) as refused:
        start_server(home, limit=120)
    message = str(refused.value)
    assert "\n" not in message
    assert str(home / "server.log") in message
