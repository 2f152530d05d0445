"""The distributed setup as processes on this machine, the way `deployments/compose.yaml` and the
README describe it: PostgreSQL (a database for yuqing, one for Prefect), a Prefect server on
PostgreSQL, one `yuqing serve` (console and wake-ups) and N `yuqing worker`s, all on one
office config whose people's channels point at a local receiver. For the topology test and
`bench/scaleout.py`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from deployments.local_server import LocalServer, start_server
from deployments.prefect_api import use_api
from deployments.serve_record import serve_ready
from tests.support.configs import write_office_config
from tests.support.postgres import PostgresAdmin, unique_database_name
from tests.support.web import free_port
from yuqing.localservers import WebhookReceiver

YUQING = str(Path(sys.executable).with_name("yuqing"))
POOL = "yuqing-topology"


@dataclass
class Topology:
    directory: Path
    config: Path
    database_url: str
    prefect: LocalServer
    serve: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "PREFECT_API_URL": self.prefect.url}

    def start_worker(self, name: str, *, limit: int = 1) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("ab")
        options = ["--limit", str(limit), "--pool", POOL, "--name", name]
        worker = subprocess.Popen(
            [YUQING, "--config", str(self.config), "worker", *options],
            cwd=self.directory,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def online_workers(self) -> int:
        from prefect import get_client
        from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus

        online = WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
        with use_api(self.prefect.url), get_client(sync_client=True) as client:
            return len(client.read_workers_for_work_pool(POOL, worker_filter=online))

    def wait_for_workers(self, count: int, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while self.online_workers() < count:
            assert time.monotonic() < deadline, f"{count} workers did not come online"
            time.sleep(0.5)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.directory.glob("*.log"))
        )


def _prefect_url(database_url: str, database: str) -> str:
    url = make_url(database_url).set(drivername="postgresql+asyncpg", database=database)
    return url.render_as_string(hide_password=False)


@contextmanager
def topology(
    directory: Path,
    admin: PostgresAdmin,
    receiver: WebhookReceiver,
    *,
    extra_toml: str = "",
) -> Iterator[Topology]:
    """Everything but the workers (`Topology.start_worker`); stopped and dropped on exit."""
    yuqing_db, prefect_db = unique_database_name(), unique_database_name("prefect")
    database_url = admin.create_database(yuqing_db)
    admin.create_database(prefect_db)
    found: Topology | None = None
    prefect = start_server(
        directory / "prefect-home",
        port=free_port(),
        services=True,
        env={"PREFECT_SERVER_DATABASE_CONNECTION_URL": _prefect_url(database_url, prefect_db)},
    )
    try:
        config = write_office_config(directory, database_url=database_url, receiver=receiver)
        config.write_text(
            config.read_text(encoding="utf-8")
            + f'\n[serve]\nwork_pool = "{POOL}"\n\n[web]\nport = {free_port()}\n\n{extra_toml}',
            encoding="utf-8",
        )
        log = (directory / "serve.log").open("ab")
        env = {**os.environ, "PREFECT_API_URL": prefect.url}
        serve = subprocess.Popen(
            [YUQING, "--config", str(config), "serve"],
            cwd=directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        found = Topology(directory, config, database_url, prefect, serve)
        deadline = time.monotonic() + 300
        while serve_ready(directory / "data") is None:
            assert serve.poll() is None and time.monotonic() < deadline, found.logs()
            time.sleep(0.2)
        yield found
    finally:
        processes = [found.serve, *found.workers] if found else []
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        prefect.stop()
        admin.drop_database(yuqing_db)
        admin.drop_database(prefect_db)
