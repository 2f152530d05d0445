"""The report deployments `yuqing serve` runs: one per enabled report kind, on cron schedules in
the office's time zone (`general.timezone`; the daily digest at the policy's `digest_at`,
S1-5: 17:00), and `rerun-reports/manual` with no schedule (started from the Prefect UI; the same
re-run as `yuqing report rerun`). Parameters carry the config path and the kind, no secrets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.reports.schedule import crons
from tasks.report_context import enabled_kinds, timing
from tasks.runtime import prepare

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment


def report_deployments(config: str | None) -> list[RunnerDeployment]:
    """Prefect is imported only here: it reads PREFECT_API_URL when first imported."""
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    from flows.reports import rerun_reports, scheduled_report

    runtime = prepare(config)
    zone = runtime.settings.general.timezone
    found = []
    for kind in enabled_kinds(runtime.settings):
        schedules = [Cron(expression, timezone=zone) for expression in crons(timing(runtime, kind))]
        found.append(
            scheduled_report.to_deployment(
                name=kind.value,
                schedules=schedules,
                parameters={"kind": kind.value, "config": config},
                description=f"定时报告：{kind.value}（{zone}）",
            )
        )
    found.append(
        rerun_reports.to_deployment(
            name="manual",
            parameters={"config": config},
            description="重跑生成失败或未送达的报告（可填 report_id）。",
        )
    )
    assert all(isinstance(d, RunnerDeployment) for d in found)  # outside an event loop
    return found  # type: ignore[return-value]
