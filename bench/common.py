"""Shared pieces of the benchmarks: a database on SQLite (a temporary file) or PostgreSQL (a
private server from `tests.support.postgres`), percentile helpers and a process's memory. Rows
written straight (a bare case, a filled outbox) come from `tests.support.outbox`."""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.store.db import upgrade_database
from tests.support.postgres import running_postgres


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A migrated, empty database URL on `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="yuqing-bench-") as directory:
            url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
            upgrade_database(url)
            yield url
        return
    with running_postgres() as server:
        upgrade_database(server.url)
        yield server.url


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def rss_mb(pid: int) -> float:
    """The resident memory of process `pid` in MB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
