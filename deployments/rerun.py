"""The re-run deployment: the `rerun-case` flow with no schedule, started by an operator from the
Prefect UI (or `prefect deployment run`) with the case id. Its stored parameters carry the
config path only, never a secret; `case_id` is given per run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment


def rerun_deployment(config: str | None) -> RunnerDeployment:
    """The RunnerDeployment `rerun-case/manual`; `yuqing serve` serves it beside the scheduled ones.
    Prefect is imported only here: it reads PREFECT_API_URL when first imported."""
    from prefect.deployments.runner import RunnerDeployment

    from flows.rerun import rerun_case

    deployment = rerun_case.to_deployment(
        name="manual",
        parameters={"config": config},
        description="重跑卡住的案件：按原起算时间补建时限，补发未发出的通知（参数 case_id）。",
    )
    assert isinstance(deployment, RunnerDeployment)  # called outside an event loop: not a coroutine
    return deployment
