"""Prefect's own zombie detection, for the runs of yuqing's work pool: each flow run a pool worker
starts sends a heartbeat event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (`yuqing worker`
sets 30, Prefect's least), and an automation of Prefect's server marks a run that has sent one
and then nothing else (no heartbeat, no end) for HEARTBEAT_LIMIT as crashed — a worker killed
with its runs, a machine gone. This is Prefect's mechanism, as its documentation describes it
("detect zombie flows"), created once per pool by serve; escalation runs are also watched by
yuqing's own faster beat (`deployments.pool`)."""

from __future__ import annotations

import logging
from datetime import timedelta

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 30  # the least PREFECT_FLOWS_HEARTBEAT_FREQUENCY allows
HEARTBEAT_LIMIT = timedelta(seconds=3 * HEARTBEAT_SECONDS)


def automation_name(work_pool: str) -> str:
    return f"yuqing：{work_pool} 工作池中停止心跳的运行标为崩溃"


def ensure_zombie_automation(work_pool: str) -> None:
    """Create the automation for `work_pool` unless it exists (best effort: said in the log)."""
    from prefect import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    name = automation_name(work_pool)
    ended = {"Completed", "Failed", "Cancelled", "Crashed"}
    trigger = EventTrigger(
        after={"prefect.flow-run.heartbeat"},
        expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{s}" for s in ended)},
        match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
        match_related=ResourceSpecification(
            {"prefect.resource.role": "work-pool", "prefect.resource.name": work_pool}
        ),
        for_each={"prefect.resource.id"},
        posture=Posture.Proactive,
        threshold=1,
        within=HEARTBEAT_LIMIT,
    )
    action = ChangeFlowRunState(
        state=StateType.CRASHED, message="运行停止心跳：其 worker 或所在机器已退出"
    )
    try:
        with get_client(sync_client=True) as client:
            if not client.read_automations_by_name(name):
                client.create_automation(
                    AutomationCore(name=name, trigger=trigger, actions=[action])
                )
    except Exception:  # serve works without it; yuqing's own beat watches escalation runs
        log.exception("could not create Prefect's zombie automation for pool %s", work_pool)
