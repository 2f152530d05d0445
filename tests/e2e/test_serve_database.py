"""`yuqing serve` with its database not there yet: it says so on one line, keeps trying with
back-off, and comes up by itself once the database exists (a real PostgreSQL server whose
database the test creates while serve waits); then SIGTERM stops it with exit 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.test_serve import ONE_PERSON_CHANNEL, ONE_PERSON_OFFICE
from tests.support.postgres import PostgresAdmin, unique_database_name
from tests.support.web import free_port

YUQING = str(Path(sys.executable).with_name("yuqing"))


def wait_for(condition: Callable[[], object], *, limit: float) -> bool:
    """Poll `condition()` until it is true or `limit` seconds pass (a hang guard only)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


def test_serve_waits_for_its_database_and_says_so(
    tmp_path: Path, postgres_admin: PostgresAdmin
) -> None:
    name = unique_database_name()
    config = tmp_path / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[web]\nport = {free_port()}\n\n'
        f"[serve]\nprefect_port = {free_port()}\n\n{ONE_PERSON_OFFICE}",
        encoding="utf-8",
    )
    (tmp_path / "secrets.toml").write_text(
        f'database_url = "{postgres_admin.url_for(name)}"\n{ONE_PERSON_CHANNEL}', encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    serve = subprocess.Popen(
        [YUQING, "--config", str(config), "serve"],
        cwd=tmp_path,
        env={**env, "PYTHONUTF8": "1", "COLUMNS": "300"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def retries() -> list[str]:
        return [line for line in lines if "无法连接数据库" in line]

    reader = threading.Thread(target=lambda: lines.extend(iter(serve.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        assert wait_for(lambda: len(retries()) >= 2, limit=120), "".join(lines)
        assert "秒后重试（第 1 次）" in retries()[0] and "秒后重试（第 2 次）" in retries()[1]
        assert serve.poll() is None  # still waiting, not given up
        postgres_admin.create_database(name)
        record = tmp_path / "data" / "serve.json"
        assert wait_for(record.exists, limit=300), "".join(lines)
        said = "".join(lines)
        assert said.index("无法连接数据库") < said.index("数据库已就绪")
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=120) == 0, "".join(lines)[-3000:]
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        reader.join(timeout=10)
        postgres_admin.drop_database(name)
