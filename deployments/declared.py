"""The deployments, declared once: those `yuqing serve` runs inside itself (the embedded default)
and those it registers for a Prefect process work pool (the distributed setup, run by `yuqing
worker` or `prefect worker start`). Entrypoints are module paths (`flows.collect.collect`), so a
worker anywhere loads the flow from the installed package, not from a path on serve's machine.

Parameters carry the config path at most, never a secret. The pool's carry none: each machine
reads its own `yuqing.toml` and `secrets.toml` (its worker sets YUQING_CONFIG for the runs).
A re-run's `case_id` is given per run, from the Prefect UI or `prefect deployment run`.

The reports run on cron schedules in the office's time zone (`general.timezone`; the daily
digest at the policy's `digest_at`, S1-5: 17:00), one deployment per enabled kind, beside
`rerun-reports` with no schedule (the same re-run as `yuqing report rerun`).

Scheduled deployments never pile up: inside serve the runner collapses due runs into the latest
(`deployments.inprocess`); on the pool each allows one run at a time and Prefect cancels a new
one while another still runs (`CANCEL_NEW`)."""

from __future__ import annotations

from typing import Any

from deployments.inprocess import Served
from models.reports.schedule import crons
from tasks.reports.context import enabled_kinds, timing
from tasks.runtime import Runtime, prepare

RERUN_DESCRIPTION = "重跑卡住的案件：按原起算时间补建时限，补发未发出的通知（参数 case_id）。"
ESCALATE_DESCRIPTION = "到期催办：yuqing serve 发现有事项到期时启动，处理完并等待片刻后结束。"


def local(config: str | None) -> list[Served]:
    """Collection on its interval, the backstop sweep, the manual re-run: run inside serve."""
    from flows.collect import collect
    from flows.rerun import rerun_case
    from flows.sweep import sweep

    runtime = prepare(config)
    settings = runtime.settings
    parameters = {"config": config}
    reports = [
        Served(deployment, flow, scheduled=bool(deployment.schedules))
        for deployment, flow in _reports(runtime, parameters, rerun_name="manual")
    ]
    return [
        Served(
            _declare(collect, "scheduled", settings.collect.interval_seconds, parameters),
            collect,
            scheduled=True,
        ),
        Served(
            _declare(sweep, "backstop", settings.sweep.interval_seconds, parameters),
            sweep,
            scheduled=True,
        ),
        Served(_declare(rerun_case, "manual", None, parameters), rerun_case, scheduled=False),
        *reports,
    ]


def pool(config: str | None, work_pool: str) -> list[Any]:
    """The same work, and the escalation runs serve asks for, on `work_pool`'s workers."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    from flows.collect import collect
    from flows.escalate import escalate
    from flows.rerun import rerun_case
    from flows.sweep import sweep

    runtime = prepare(config)
    settings = runtime.settings
    one = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    runs = {
        "linger_seconds": settings.serve.escalation_linger_seconds,
        "max_seconds": settings.serve.escalation_max_seconds,
    }
    declared = [
        _declare(collect, "pool", settings.collect.interval_seconds, {}, concurrency=one),
        _declare(sweep, "pool", settings.sweep.interval_seconds, {}, concurrency=one),
        _declare(escalate, "pool", None, runs, description=ESCALATE_DESCRIPTION),
        _declare(rerun_case, "pool", None, {}),
        *(
            deployment
            for deployment, _ in _reports(runtime, {}, rerun_name="pool", concurrency=one)
        ),
    ]
    for deployment in declared:
        deployment.work_pool_name = work_pool
    return declared


def _reports(
    runtime: Runtime, parameters: dict[str, Any], *, rerun_name: str, concurrency: Any = None
) -> list[tuple[Any, Any]]:
    """(deployment, flow) per enabled report kind on its crons, then the manual re-run."""
    from prefect.schedules import Cron

    from flows.reports import rerun_reports, scheduled_report

    zone = runtime.settings.general.timezone
    found = []
    for kind in enabled_kinds(runtime.settings):
        schedules = [Cron(expression, timezone=zone) for expression in crons(timing(runtime, kind))]
        deployment = _declare(
            scheduled_report,
            kind.value,
            None,
            {**parameters, "kind": kind.value},
            concurrency=concurrency,
            description=f"定时报告：{kind.value}（{zone}）",
            schedules=schedules,
        )
        found.append((deployment, scheduled_report))
    rerun = _declare(
        rerun_reports,
        rerun_name,
        None,
        parameters,
        description="重跑生成失败或未送达的报告（可填 report_id）。",
    )
    return [*found, (rerun, rerun_reports)]


def _declare(
    flow: Any,
    name: str,
    interval: int | None,
    parameters: dict[str, Any],
    *,
    concurrency: Any = None,
    description: str | None = None,
    schedules: list[Any] | None = None,
) -> Any:
    from prefect.types.entrypoint import EntrypointType

    if description is None and flow.name == "rerun-case":
        description = RERUN_DESCRIPTION
    return flow.to_deployment(
        name=name,
        interval=interval,
        schedules=schedules,
        parameters=parameters,
        description=description,
        concurrency_limit=concurrency,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
