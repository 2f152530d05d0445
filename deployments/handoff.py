"""Handing a recorded change's steps to the `case` flow — the one place it happens, for every
front: the CLI, the console, the action links and serve's wake-up loop.

After an action (`hand_off`): the process's own runner is woken when it has one (`poke`: the
wake-up loop of `yuqing serve` or `yuqing web`, which runs the flow within a moment); else a
running `yuqing serve` on the same data directory (found by its address file and its process,
whether or not its Prefect server is up yet) picks the steps up within
`dispatch.wake_poll_seconds`, so the command only says so and returns at once; else the flow
runs here, against the Prefect API this process has, or the running serve's, or a local server
started for it (saying so in one line, with how long that server took). The wake-up loop
itself runs the flow for every case with waiting steps (`run_steps`). Steps never carried out
stay on the stuck list. Prefect is imported only where a flow runs here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from deployments.serve_record import serve_alive
from models.repo.steps import cases_waiting
from models.store.db import session_scope
from tasks.runtime import Runtime

log = logging.getLogger(__name__)
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def run_steps(
    runtime: Runtime,
    config: str | None,
    *,
    now: datetime,
    case_ids: Iterable[int] | None = None,
    at: datetime | None = None,
    say: Say = _quiet,
) -> dict[str, Any]:
    """Run the `case` flow for each case with waiting steps (all of them, or of `case_ids`);
    `at` is the flows' clock (default: their own). What was done, per case."""
    from flows.case import StepsFailed, advance_case

    with session_scope(runtime.engine) as session:
        waiting = cases_waiting(session, now=now)
    wanted = waiting if case_ids is None else [c for c in waiting if c in set(case_ids)]
    done: dict[str, Any] = {"cases": len(wanted), "failed": []}
    for case_id in wanted:
        try:
            done |= {k: v for k, v in advance_case(case_id, config, at).items() if k != "case_id"}
        except StepsFailed as exc:  # recorded on the case: it is on the stuck list
            log.warning("%s", exc)
            say(f"部分步骤失败，已记录；可用 yuqing case rerun {case_id} 重跑：{exc}")
            done["failed"].append(case_id)
    return done


def hand_off(
    runtime: Runtime,
    config: str | None,
    case_id: int,
    *,
    at: datetime,
    say: Say = _quiet,
    poke: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Get the steps `case_id`'s change left carried out (see the module docstring); `at` is
    when the change was made, and the clock of a flow run here."""
    with session_scope(runtime.engine) as session:
        if case_id not in cases_waiting(session, now=at):
            return {"steps": "none"}
    if poke is not None:
        poke(case_id)
        return {"steps": "runner"}
    serve = serve_alive(runtime.settings.general.data_dir)
    if serve is not None:
        say(f"通知等后续步骤由运行中的 yuqing serve（进程 {serve.pid}）执行")
        return {"steps": "serve", "serve_pid": serve.pid}
    from deployments.prefect_api import prefect_api

    def started(seconds: float) -> None:
        say(
            f"未发现运行中的 yuqing serve：临时启动 Prefect 服务来执行后续步骤（用时 {seconds:.0f}"
            " 秒；运行 yuqing serve 时命令即刻返回）"
        )

    with prefect_api(runtime.settings.general.data_dir, say=say, on_ready=started):
        done = run_steps(runtime, config, now=at, case_ids=[case_id], at=at, say=say)
    return {"steps": "failed" if done["failed"] else "done", **done}
