"""The console at an office's full history: 100,000 open cases (three open deadlines each, a
third of them overdue) and 1,000,000 timeline events (one case with 20,000), on SQLite and on
PostgreSQL, served by a real `yuqing serve` process and read over HTTP by one signed-in client.

Figures per backend, p50/p99 over REQUESTS requests each: the board's first page; a filtered
page (grade 一级 and one of 20 units: about 1 case in 60); the 30th page (following the "next
page" links); a case page (random cases); the case page of the 20,000-event case; the sign-in
page as the baseline (what any page costs this server, in the same run); and serve's RSS, peak
over the whole run (its Prefect server, a child process, reported apart).

    uv run python bench/console.py                       # 100k cases, 1M events, both backends
    uv run python bench/console.py --cases 10000 --events 100000 --backend sqlite

Targets (issue 10): board p99 <= 300 ms, serve RSS <= 300 MB. The final line is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import database, median, percentile, rss_mb
from serving import DESK_SECRET, DESK_TOML
from sqlalchemy import insert

from deployments.serve_record import serve_ready
from models.policy import Stage
from models.policy.states import EventKind, ObligationStatus
from models.repo.directory import sync_directory
from models.store.db import make_engine, session_scope
from models.store.tables import Case, CaseEvent, Obligation
from settings import PersonConfig, UnitConfig
from tests.support.web import free_port
from yuqing.web.security import hash_password

NOW = datetime.now(UTC).replace(microsecond=0)
UNITS = 20
CHUNK = 20_000
LONG_CASE_EVENTS = 20_000
PASSWORD = "bench-口令-2026"
YUQING = str(Path(sys.executable).with_name("yuqing"))
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
NEXT_RE = re.compile(r'<a rel="next" href="([^"]+)">下一页</a>')
OBLIGATIONS = (
    ("quick_report", "快报", "office_staff"),
    ("verification", "核查反馈", "unit_liaison"),
    ("first_response", "首次回应", "office_staff"),
)


def people() -> tuple[list[UnitConfig], list[PersonConfig]]:
    units = [UnitConfig(id="office", name="办公室")]
    units += [UnitConfig(id=f"u{k}", name=f"责任单位{k}") for k in range(UNITS)]
    staff = [
        PersonConfig(id="wang", name="王芳", unit="office", roles=["office_staff"], channels=[]),
        PersonConfig(id="zhao", name="赵敏", unit="office", roles=["duty_officer"], channels=[]),
    ]
    staff += [
        PersonConfig(
            id=f"l{k}", name=f"联络员{k}", unit=f"u{k}", roles=["unit_liaison"], channels=[]
        )
        for k in range(UNITS)
    ]
    return units, staff


def fill(url: str, cases: int, events: int) -> None:
    """`cases` open cases, three open deadlines each (the verification one handed to a unit's
    liaison), and `events` timeline entries, LONG_CASE_EVENTS of them on case 1."""
    engine = make_engine(url)
    units, staff = people()
    with session_scope(engine) as session:
        sync_directory(session, units=units, people=staff)
    rng = random.Random(10)
    for start in range(0, cases, CHUNK):
        ids = range(start + 1, min(cases, start + CHUNK) + 1)
        with session_scope(engine) as session:
            session.execute(insert(Case), [_case(i) for i in ids])
            rows = [_obligation(i, n, rng) for i in ids for n in range(len(OBLIGATIONS))]
            session.execute(insert(Obligation), rows)
    for start in range(0, events, CHUNK * 5):
        stop = min(events, start + CHUNK * 5)
        rows = [_event(1 if n < LONG_CASE_EVENTS else 1 + n % cases, n) for n in range(start, stop)]
        with session_scope(engine) as session:
            session.execute(insert(CaseEvent), rows)
    engine.dispose()
    print(f"  filled {cases:,} cases, {cases * 3:,} deadlines, {events:,} events")


def _case(i: int) -> dict[str, object]:
    at = NOW - timedelta(minutes=i % 5000)
    return {
        "id": i,
        "title": f"某地舆情事件{i}",
        "stage": Stage.detected,
        "grade": ("g1", "g2", "g3")[i % 3],
        "policy_id": "default",
        "units": [],
        "discovered_at": at,
        "created_at": at,
        "updated_at": at,
    }


def _obligation(case_id: int, n: int, rng: random.Random) -> dict[str, object]:
    key, title, role = OBLIGATIONS[n]
    due = NOW + timedelta(minutes=rng.randint(-600, 1200))  # a third overdue
    return {
        "case_id": case_id,
        "key": key,
        "title": title,
        "owner_role": role,
        "anchor": "discovery",
        "anchor_at": due - timedelta(hours=1),
        "clock": "wall",
        "due_at": due,
        "provisional": False,
        "status": ObligationStatus.OPEN,
        "level": 0,
        # Far away: the serve process's wake-up loop stays idle while the console is measured.
        "next_check_at": NOW + timedelta(days=365),
        "assignee_id": f"l{case_id % UNITS}" if key == "verification" else None,
    }


def _event(case_id: int, n: int) -> dict[str, object]:
    return {
        "case_id": case_id,
        "at": NOW - timedelta(seconds=n),
        "kind": EventKind.NOTE,
        "actor": "system",
        "message": f"第{n}条记录：监测到新的相关信息，已更新传播数据",
        "data": {},
    }


def write_config(directory: Path, url: str) -> tuple[Path, int]:
    port = free_port()
    units, staff = people()
    unit_toml = "".join(f'[[units]]\nid = "{u.id}"\nname = "{u.name}"\n\n' for u in units)
    people_toml = "".join(
        f'[[people]]\nid = "{p.id}"\nname = "{p.name}"\nunit = "{p.unit}"\n'
        f'roles = ["{p.roles[0]}"]\n\n'
        for p in staff
    )
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[database]\nurl = "{url}"\n\n'
        f"[web]\nport = {port}\n\n[serve]\nprefect_port = {free_port()}\n\n"
        f'[[web.users]]\nusername = "wang"\nperson = "wang"\n'
        f'password_hash = "{hash_password(PASSWORD)}"\n\n{unit_toml}{people_toml}{DESK_TOML}',
        encoding="utf-8",
    )
    (directory / "secrets.toml").write_text(
        f'link_key = "{"k" * 40}"\n\n{DESK_SECRET}', encoding="utf-8"
    )
    return config, port


class Sampler(threading.Thread):
    """The peak RSS of serve and of its children, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.children_peak = pid, 0.0, 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, rss_mb(self.pid))
            kids = Path(f"/proc/{self.pid}/task/{self.pid}/children")
            try:
                pids = [int(p) for p in kids.read_text().split()]
            except OSError:
                pids = []
            self.children_peak = max(self.children_peak, sum(rss_mb(p) for p in pids))


def timed(client: object, path: str, runs: int) -> list[float]:
    import httpx

    assert isinstance(client, httpx.Client)
    spent = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path)
        spent.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return spent


def measure(base: str, cases: int, runs: int) -> dict[str, list[float]]:
    import httpx

    rng = random.Random(3)
    with httpx.Client(base_url=base, follow_redirects=True, timeout=120) as client:
        token = CSRF_RE.search(client.get("/login").text)
        assert token is not None
        signed = client.post(
            "/login", data={"username": "wang", "password": PASSWORD, "csrf": token.group(1)}
        )
        assert "案件看板" in signed.text, signed.text[:500]
        timed(client, "/", 3)  # warm-up
        found = {
            "baseline_login": timed(client, "/login", runs),
            "board_first": timed(client, "/", runs),
            "board_filtered": timed(client, "/?grade=g1&unit=u7", runs),
        }
        path, deep = "/", []
        for _ in range(30):
            began = time.perf_counter()
            page = client.get(path).text
            deep.append((time.perf_counter() - began) * 1000)
            link = NEXT_RE.search(page)
            if link is None:  # a small run has fewer than 30 pages
                break
            path = link.group(1).replace("&amp;", "&")
        found["board_pages_1_to_30"] = deep
        found["case_page"] = [
            timed(client, f"/cases/{rng.randint(2, cases)}", 1)[0] for _ in range(runs)
        ]
        found["case_page_20k_events"] = timed(client, "/cases/1", max(10, runs // 5))
    return found


def run_backend(backend: str, cases: int, events: int, runs: int) -> dict[str, float]:
    print(f"{backend}:")
    with database(backend) as url, tempfile.TemporaryDirectory(prefix="yq-console-") as d:
        began = time.perf_counter()
        fill(url, cases, events)
        print(f"  fill took {time.perf_counter() - began:.0f} s")
        config, port = write_config(Path(d), url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        serve = subprocess.Popen(
            [YUQING, "--config", str(config), "serve"],
            cwd=d,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sampler = Sampler(serve.pid)
        sampler.start()
        try:
            deadline = time.monotonic() + 600
            while serve_ready(Path(d) / "data") is None:
                assert serve.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
            found = measure(f"http://127.0.0.1:{port}", cases, runs)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
            sampler.stop.set()
    figures: dict[str, float] = {}
    for name, values in found.items():
        p50, p99 = median(values), percentile(values, 0.99)
        print(f"  {name:>22}: p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  (n={len(values)})")
        figures[f"{backend}_{name}_p50_ms"] = round(p50, 1)
        figures[f"{backend}_{name}_p99_ms"] = round(p99, 1)
    print(
        f"  serve RSS peak {sampler.peak:.0f} MB "
        f"(its Prefect server {sampler.children_peak:.0f} MB)"
    )
    figures[f"{backend}_serve_rss_peak_mb"] = round(sampler.peak, 1)
    figures[f"{backend}_prefect_server_rss_peak_mb"] = round(sampler.children_peak, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="requests per figure")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    options = parser.parse_args()
    backends = ["sqlite", "postgresql"] if options.backend == "both" else [options.backend]
    figures: dict[str, float] = {"cases": options.cases, "events": options.events}
    figures["load_avg_1m_before"] = round(os.getloadavg()[0], 2)  # others on this machine
    for backend in backends:
        figures |= run_backend(backend, options.cases, options.events, options.runs)
    figures["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(
        f"load average (1 min): {figures['load_avg_1m_before']} before, "
        f"{figures['load_avg_1m_after']} after ({os.cpu_count()} cores)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
