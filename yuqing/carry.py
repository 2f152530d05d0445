"""Handing a recorded change's steps to the `case` flow. A running `yuqing serve` (found by its
address file and its process, whether or not its Prefect server is up yet) picks them up by
itself within `dispatch.wake_poll_seconds`, so the command only says so and returns at once;
without one, the command runs the flow here, against the Prefect API it finds or starts (saying
so in one line, with how long the temporary server took), and reports what it delivered. Steps
never carried out stay on the stuck list. Prefect is imported only on that second path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from deployments.serve_record import serve_alive
from models.repo.steps import cases_waiting
from models.store.db import session_scope
from tasks.runtime import Runtime


def carry_out(
    runtime: Runtime,
    case_id: int,
    *,
    config: str | None,
    at: datetime | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Run the case flow for `case_id`'s waiting steps unless serve will; what happened."""
    if at is None:
        from models.policy.clocks import utc_now

        at = utc_now()
    with session_scope(runtime.engine) as session:
        waiting = case_id in cases_waiting(session, now=at)
    if not waiting:
        return {"steps": "none"}
    serve = serve_alive(runtime.settings.general.data_dir)
    if serve is not None:
        say(f"通知等后续步骤由运行中的 yuqing serve（进程 {serve.pid}）执行")
        return {"steps": "serve", "serve_pid": serve.pid}
    from deployments.prefect_api import prefect_api
    from flows.case import StepsFailed, advance_case

    def started(seconds: float) -> None:
        say(
            f"未发现运行中的 yuqing serve：临时启动 Prefect 服务来执行后续步骤（用时 {seconds:.0f}"
            " 秒；运行 yuqing serve 时命令即刻返回）"
        )

    with prefect_api(runtime.settings.general.data_dir, say=say, on_ready=started):
        try:
            result = advance_case(case_id, config, at)
        except StepsFailed as exc:
            say(f"部分步骤失败，已记录；可用 yuqing case rerun {case_id} 重跑：{exc}")
            return {"steps": "failed"}
    return {"steps": "done", **result}
