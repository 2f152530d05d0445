"""The console's view of stuck cases, against the real app on uvicorn (httpx over a real socket):
a case whose deadline row was lost is listed with the reason in Chinese; once `case rerun`
has repaired it, the list is empty again. The page needs a signed-in user."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
from sqlmodel import select

from models.store.db import session_scope
from models.store.tables import Obligation
from tasks.runtime import prepare
from tests.support.escalation import T0, new_case
from tests.support.web import PASSWORD, Clock, free_port, served, write_web_config
from yuqing.localservers import WebhookReceiver

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(client: httpx.Client) -> None:
    form = client.get("/login")
    token = CSRF_RE.search(form.text)
    assert token is not None
    done = client.post(
        "/login", data={"username": "wang", "password": PASSWORD, "csrf": token.group(1)}
    )
    assert done.status_code in (200, 303) and "案件看板" in done.text


def test_stuck_view_lists_a_case_with_a_lost_deadline_until_it_is_rerun(
    prefect_harness: str, database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    port = free_port()
    config = write_web_config(tmp_path, database_url=database_url, receiver=receiver, port=port)
    runtime = prepare(str(config))
    healthy, broken = new_case(runtime.engine), new_case(runtime.engine)
    with session_scope(runtime.engine) as session:  # the quick report's row is lost
        row = session.exec(
            select(Obligation).where(Obligation.case_id == broken, Obligation.key == "quick_report")
        ).one()
        session.delete(row)
    clock = Clock(T0 + timedelta(minutes=1))
    with (
        served(config, clock, port=port) as url,
        httpx.Client(base_url=url, follow_redirects=True) as client,
    ):
        assert "/login" in str(client.get("/stuck").url)  # signed out: to the sign-in page
        sign_in(client)
        page = client.get("/stuck").text
        assert f'data-case="{broken}"' in page and f'data-case="{healthy}"' not in page
        assert "缺少时限" in page and "快报" in page
        from typer.testing import CliRunner

        from yuqing.cli import app

        rerun = CliRunner().invoke(app, ["--config", str(config), "case", "rerun", str(broken)])
        assert rerun.exit_code == 0, rerun.output
        assert "没有卡住的案件" in client.get("/stuck").text
    runtime.engine.dispose()
