"""A command starts with only what it uses. `yuqing --help` loads the command modules, and they
import typer, rich and the standard library only; a read-only command (`case list`, `case show`)
loads the database layer but neither Prefect, Alembic nor the report writers (openpyxl,
python-docx); a case verb with `yuqing serve` running has serve carry out its action (its task
run, then its steps) without loading Prefect. Each is checked in a fresh interpreter by the
modules it loaded (not by the clock, which `bench/cli.py` measures). The migrations' heads
read from the files are Alembic's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from deployments.pids import owner_token
from deployments.serve_record import ServeRecord, write_serve
from models.policy.states import ObligationStatus
from models.repo.cases import case_obligations, case_timeline
from models.store.db import session_scope, shipped_heads, upgrade_database
from tasks.runtime import prepare
from tests.support.configs import write_office_config
from tests.support.web import serve_on_this_machine
from yuqing.localservers import WebhookReceiver

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("prefect", "alembic", "openpyxl", "docx")
# What `yuqing --help` may not load either: the database layer, HTTP, settings, Apprise.
NOT_FOR_HELP = (*HEAVY, "sqlalchemy", "sqlmodel", "httpx", "pydantic", "apprise")

RUN = """
import json, sys
from yuqing.cli import main
sys.argv = ["yuqing", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def run(*args: str, cwd: Path = REPO) -> tuple[int, set[str], str]:
    """Run `yuqing ARGS` in a fresh interpreter: exit code, top-level modules loaded, output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(args)],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    last = json.loads(done.stdout.strip().splitlines()[-1])
    return last["code"], set(last["loaded"]), done.stdout + done.stderr


def test_help_loads_no_library_a_command_may_need() -> None:
    code, loaded, output = run("--help")
    assert code == 0 and "case" in output and "serve" in output
    assert not loaded & set(NOT_FOR_HELP), loaded & set(NOT_FOR_HELP)


def test_read_only_commands_load_neither_prefect_nor_alembic_nor_the_writers(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    database = f"sqlite:///{tmp_path / 'yq.db'}"
    config = str(write_office_config(tmp_path, database_url=database, receiver=receiver))
    upgrade_database(database)  # a database at the shipped heads: no migration to apply
    fake_serve(tmp_path)
    code, _, output = run("--config", config, "case", "register", "--title", "市民来电：某中学食堂")
    assert code == 0 and "案件 1" in output, output
    for args in (("case", "list"), ("case", "show", "1"), ("case", "list", "--stuck")):
        code, loaded, output = run("--config", config, *args)
        assert code == 0 and ("某中学食堂" in output or "没有卡住的案件" in output), output
        assert not loaded & set(HEAVY), (args, loaded & set(HEAVY))


def test_a_case_verb_with_serve_running_is_serves_task_run_and_loads_no_prefect(
    tmp_path: Path, receiver: WebhookReceiver, prefect_harness: str
) -> None:
    """serve's console (here in this process, as serve runs it) carries out the command's
    action: the command prints serve's answer, a refusal as its own, and loads no Prefect."""
    with serve_on_this_machine(tmp_path, receiver, prefect_harness) as (config, console):
        code, loaded, output = run("--config", config, "case", "register", "--title", "投诉")
        assert code == 0 and "案件 1" in output and "已由运行中的 yuqing serve" in output, output
        code, loaded, output = run("--config", config, "case", "report", "1", "--by", "王芳")
        assert code == 0 and "已由运行中的 yuqing serve" in output, output
        assert "prefect" not in loaded and "openpyxl" not in loaded
        code, loaded, output = run("--config", config, "case", "ack", "1", "--by", "张伟")
        assert code == 2 and "无权办理" in output and "prefect" not in loaded, output
        forged = httpx.post(
            f"{console}/serve/act",
            json={"action": "ack", "case_id": 1, "at": "2026-12-07T00:00:00+00:00"},
            headers={"Authorization": "Bearer " + "x" * 43},
        )
        assert forged.status_code == 404
    runtime = prepare(config)
    with session_scope(runtime.engine) as session:
        quick = next(o for o in case_obligations(session, 1) if o.key == "quick_report")
        timeline = case_timeline(session, 1)
    runtime.engine.dispose()
    assert quick.status == ObligationStatus.COMPLETED and quick.completed_by == "wangfang"
    reported = [e for e in timeline if e.actor == "wangfang" and e.data.get("via") == "cli"]
    assert reported, [(e.actor, e.data) for e in timeline]


def fake_serve(directory: Path) -> None:
    """A serve record naming a live process (this one) whose Prefect server is still starting:
    what a command sees while `yuqing serve` comes up."""
    data = directory / "data"
    write_serve(
        data, ServeRecord(pid=os.getpid(), prefect_api=None, owner=owner_token("serve", data))
    )


def test_the_heads_read_from_the_migration_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from models.store.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert shipped_heads() == frozenset(heads)
