"""`yuqing status` and `/healthz` as a monitor and an operator use them, on both backends: with no
serve running the report says so and fails (exit 1, HTTP 503), naming what is fine and what is
not; the same report as JSON (`--json`, `/healthz`), whose details (people, channels, addresses)
only a signed-in account gets; a configuration that cannot be read is refused with exit 2
naming the field. (A running serve, a fault and its end: `test_serve_supervision`.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from models.store.db import upgrade_database
from tests.support.console import sign_in
from tests.support.web import Clock, free_port, served, write_web_config
from yuqing.localservers import WebhookReceiver

YUQING = str(Path(sys.executable).with_name("yuqing"))
NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def status(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    return subprocess.run(
        [YUQING, "--config", str(config), "status", *args],
        cwd=config.parent,
        env={**env, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_serve_status_says_so_and_exits_1(
    database_url: str, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    upgrade_database(database_url)
    config = write_web_config(tmp_path, database_url=database_url, receiver=receiver, port=1)
    shown = status(config)
    assert shown.returncode == 1, shown.stderr
    lines = shown.stdout.splitlines()
    assert "✗ yuqing serve：未运行" in lines and "✓ 数据库：可读写" in lines
    assert "✗ Prefect 服务：未知（serve 未运行）" in lines and lines[-1] == "有故障"
    data = json.loads(status(config, "--json").stdout)
    assert data["ok"] is False
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["yuqing serve"]["down"] and not checks["数据库"]["down"]
    assert checks["下次到期"]["detail"] == "没有待处理的时限或通知"


def test_healthz_answers_503_with_verdicts_and_details_for_a_signed_in_account(
    database_url: str, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    port = free_port()
    config = write_web_config(tmp_path, database_url=database_url, receiver=receiver, port=port)
    with served(config, Clock(NOW), port=port) as url, httpx.Client(base_url=url) as client:
        anonymous = client.get("/healthz")
        assert anonymous.status_code == 503 and anonymous.json()["ok"] is False
        assert all(set(c) == {"name", "ok", "down"} for c in anonymous.json()["checks"])
        sign_in(client, "wang")
        detailed = client.get("/healthz").json()
    assert {c["name"]: c["detail"] for c in detailed["checks"]}["yuqing serve"] == "未运行"


def test_a_configuration_that_cannot_be_read_is_refused_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "yuqing.toml"
    config.write_text('[general]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    shown = status(config)
    assert shown.returncode == 2 and "general.timezone" in shown.stderr, shown.stderr
