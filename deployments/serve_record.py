"""What a running `yuqing serve` tells the other processes on its machine, as files in its data
directory: `serve.json`, its address record (its pid and owner mark, its Prefect API once that
answers, its console, the secret with which a command on the same machine has serve carry out
its action: `yuqing.web.local_act`), which commands read to act through serve or to use its
Prefect API, and `status.json`, its own view of its health (its dispatchers, the fault states open,
the last sweep and the next due time), rewritten every few seconds for `yuqing status` and
`/healthz`. Standard library only: reading them costs a command nothing."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployments.pids import alive, owner_alive

SERVE_FILE = "serve.json"  # in the data directory, while `yuqing serve` runs
STATUS_FILE = "status.json"  # beside it: serve's own view of its health


@dataclass(frozen=True)
class ServeRecord:
    """What a running `yuqing serve` tells other processes: its pid and addresses."""

    pid: int
    prefect_api: str | None  # None while its Prefect server is still starting
    console: str | None = None
    prefect_server_pid: int | None = None
    owner: str | None = None  # its mark (`deployments.pids.owner_token`): pid and start time
    act_token: str | None = None  # the secret a command on this machine acts through serve with


def serve_file(data_dir: Path) -> Path:
    return data_dir / SERVE_FILE


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` at once, readable by its owner only (serve.json holds a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(json.dumps(data, ensure_ascii=False))
    temporary.replace(path)


def read_serve(data_dir: Path) -> ServeRecord | None:
    """The serve record of `data_dir`, whatever the state of its process (None: no record)."""
    try:
        raw = json.loads(serve_file(data_dir).read_text(encoding="utf-8"))
        api = raw.get("prefect_api")
        return ServeRecord(
            pid=int(raw["pid"]),
            prefect_api=str(api) if api else None,
            console=raw.get("console"),
            prefect_server_pid=raw.get("prefect_server_pid"),
            owner=raw.get("owner"),
            act_token=raw.get("act_token"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_serve(data_dir: Path, record: ServeRecord) -> None:
    _write(serve_file(data_dir), record.__dict__)


def remove_serve(data_dir: Path) -> None:
    for name in (SERVE_FILE, STATUS_FILE):
        with contextlib.suppress(OSError):
            (data_dir / name).unlink()


def serve_alive(data_dir: Path) -> ServeRecord | None:
    """The serve of `data_dir` if its process runs (its own, not a reused pid), answering or
    still starting its Prefect server."""
    record = read_serve(data_dir)
    if record is None or not alive(record.pid):
        return None
    if record.owner is not None and not owner_alive(record.owner):
        return None
    return record


def serve_ready(data_dir: Path) -> ServeRecord | None:
    """The serve of `data_dir` once all of it is up: its Prefect API recorded, not only its
    sending (what a test or a benchmark waits for before using serve's Prefect)."""
    record = serve_alive(data_dir)
    return record if record is not None and record.prefect_api is not None else None


def write_status(data_dir: Path, status: dict[str, Any]) -> None:
    _write(data_dir / STATUS_FILE, status)


def read_status(data_dir: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((data_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
