"""The console at scale, against the real app on uvicorn (httpx over a real socket): the board
shows one page of 50 with the counts of all open and overdue cases and a "next page" link that
continues where the page ended; a case with a long timeline shows the newest 100 entries and
links to older pages; a page cursor or page number that the console did not write is a 400 page
naming the parameter, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx

from models.policy.states import EventKind
from models.repo.cases import add_event
from models.store.db import session_scope
from tasks.runtime import prepare
from tests.e2e.test_console_stuck import sign_in
from tests.support.escalation import T0, new_case
from tests.support.web import Clock, free_port, served, write_web_config
from yuqing.localservers import WebhookReceiver

ROW_RE = re.compile(r'<tr class="[^"]*" data-case="(\d+)">')
NEXT_RE = re.compile(r'<a rel="next" href="([^"]+)">下一页</a>')


def test_the_board_pages_by_fifty_and_a_long_timeline_by_a_hundred(
    database_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    port = free_port()
    config = write_web_config(tmp_path, database_url=database_url, receiver=receiver, port=port)
    runtime = prepare(str(config))
    cases = [
        new_case(runtime.engine, at=T0 - timedelta(minutes=n), title=f"案件{n}") for n in range(60)
    ]
    long_case = cases[0]
    with session_scope(runtime.engine) as session:
        for n in range(250):
            at = T0 + timedelta(seconds=n)
            add_event(session, case_id=long_case, kind=EventKind.NOTE, at=at, message=f"记录{n}")
    clock = Clock(T0 + timedelta(minutes=15))  # quick reports of cases found > 15 min ago lapsed
    with (
        served(config, clock, port=port) as url,
        httpx.Client(base_url=url, follow_redirects=True) as client,
    ):
        sign_in(client)
        first = client.get("/").text
        assert "未办结 <strong>60</strong> 件，其中超时 <strong" in first
        late = re.search(r"其中超时 <strong[^>]*>(\d+)</strong>", first)
        assert late is not None and late.group(1) == "44"  # found 16-59 minutes before T0
        shown = ROW_RE.findall(first)
        assert len(shown) == 50
        following = NEXT_RE.search(first)
        assert following is not None
        second = client.get(following.group(1).replace("&amp;", "&")).text
        rest = ROW_RE.findall(second)
        assert len(rest) == 10 and not NEXT_RE.search(second)
        assert sorted(map(int, shown + rest)) == sorted(cases)  # every case once

        refused = client.get("/", params={"after": "not-a-cursor"})
        assert refused.status_code == 400 and "参数 after 无效" in refused.text

        page = client.get(f"/cases/{long_case}").text
        timeline = page.split('id="timeline"', 1)[1].split("</table>", 1)[0]
        assert timeline.count("<tr>") == 101  # the header and the newest 100
        assert "记录249" in timeline and "记录149" not in timeline
        assert "第 1 / 3 页" in page and "更早的记录" in page
        oldest = client.get(f"/cases/{long_case}", params={"timeline_page": 3}).text
        assert "立案：案件0" in oldest and "记录249" not in oldest.split('id="timeline"', 1)[1]
        bad = client.get(f"/cases/{long_case}", params={"timeline_page": "abc"})
        assert bad.status_code == 400 and "参数 timeline_page 无效" in bad.text
    runtime.engine.dispose()
