"""The real `yuqing serve` for the latency benchmarks: a settings file for an office whose
people's channels point at a benchmark receiver (serve's Prefect server and console on free
ports), serve started as an operator starts it and waited for until it has written
`data_dir/serve.json`, stopped with Ctrl-C; and deadlines written straight into its database,
created far in the future and then moved to the due times measured, so they fall due while
serve runs, never during its start-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from peers import DESK, free_port
from sqlalchemy import Engine, bindparam, insert, update
from sqlmodel import col

from deployments.serve_record import serve_ready
from models.policy.clocks import utc_now
from models.store.db import session_scope
from models.store.tables import Obligation
from tests.support.configs import write_dispatch_config
from tests.support.outbox import add_case, open_deadline

YUQING = str(Path(sys.executable).with_name("yuqing"))


DESK_ROLES = ["office_staff", "unit_responsible", "office_head"]
# The same desk for a benchmark with no receiver: its channel refuses, and nothing it measures
# is ever due to it.
DESK_TOML = (
    '[[units]]\nid = "desk_unit"\nname = "办公室值班台"\n\n'
    '[[people]]\nid = "desk"\nname = "值班台"\nunit = "desk_unit"\n'
    f'roles = {DESK_ROLES!r}\nchannels = ["desk_hook"]\n\n'.replace("'", '"')
)
DESK_SECRET = '[channels]\ndesk_hook = "json://127.0.0.1:9/desk"\n'


def write_serve_config(
    directory: Path,
    *,
    database_url: str,
    channel_urls: dict[str, str],
    dispatch_toml: str = "",
    roles: dict[str, list[str]] | None = None,
) -> Path:
    """An office (one person per channel) for serve, on free Prefect and console ports. Serve
    refuses an office whose deadlines reach nobody, so a desk (办公室值班台) holds the roles
    that own the policy's deadlines; its messages go to `DESK` on the same receiver, which the
    figures leave out. The benchmark's own deadlines are owned by the people measured."""
    extra = f"[serve]\nprefect_port = {free_port()}\n\n[web]\nport = {free_port()}\n\n"
    first = next(iter(channel_urls.values()), "json://127.0.0.1:9/")
    desk = first.split("://", 1)[0] + "://" + first.split("://", 1)[1].split("/", 1)[0] + DESK
    return write_dispatch_config(
        directory,
        database_url=database_url,
        channel_urls={**channel_urls, "desk_hook": desk},
        dispatch_toml=dispatch_toml,
        extra_toml=extra,
        roles={**(roles or {}), "desk": DESK_ROLES},
    )


@contextmanager
def serving(config: Path, *, limit: float = 300) -> Iterator[subprocess.Popen[str]]:
    """`yuqing serve` on `config`, yielded once it says it is up; Ctrl-C at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.pop("YUQING_TEST_FAULT", None)
    log = (config.parent / "serve.log").open("w", encoding="utf-8")
    serve = subprocess.Popen(
        [YUQING, "--config", str(config), "serve"],
        cwd=config.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + limit
    while serve_ready(config.parent / "data") is None:
        if serve.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if serve_ready(config.parent / "data") is None:
        serve.kill()
        raise RuntimeError(f"serve did not come up: {(config.parent / 'serve.log').read_text()}")
    try:
        yield serve
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=90)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()


def add_deadlines(engine: Engine, owners: Sequence[str], *, title: str) -> list[int]:
    """One 一级 deadline per owner entry (转办 to that person: the chain's level 1 reaches only
    them), due an hour from now for a start; their obligation ids."""
    later = utc_now() + timedelta(hours=1)
    with session_scope(engine) as session:
        case = add_case(session, title=title, at=later)
        rows = [  # only the lapses are measured
            open_deadline(case.id, f"b{n}", later, assignee=owner) for n, owner in enumerate(owners)
        ]
        ids = session.execute(insert(Obligation).returning(col(Obligation.id)), rows).scalars()
        return list(ids)


def set_due(engine: Engine, due: dict[int, datetime]) -> None:
    """Move each obligation's due time (and its next check) to `due[id]`, in one statement."""
    table = Obligation.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            due_at=bindparam("v_due", type_=table.c.due_at.type),
            next_check_at=bindparam("v_check", type_=table.c.next_check_at.type),
        )
    )
    with session_scope(engine) as session:
        session.execute(
            statement, [{"b_id": i, "v_due": at, "v_check": at} for i, at in due.items()]
        )
