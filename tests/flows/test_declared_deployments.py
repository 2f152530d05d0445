"""The deployments are declared once (`deployments.declared`) and every one can run: its
entrypoint is a module path that imports to the very flow, its parameters exist on that flow,
the scheduled ones have their configured intervals, and on the pool a scheduled one never runs
twice at once (a new run is cancelled while one runs). The compose file and the example config
of the distributed setup agree with each other and with the commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from prefect.client.schemas.objects import ConcurrencyLimitStrategy
from prefect.utilities.callables import parameter_schema
from prefect.utilities.importtools import import_object

from deployments.declared import local, pool
from settings import load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "yuqing.toml"
    path.write_text(
        '[general]\ndata_dir = "data"\n\n[collect]\ninterval_seconds = 120\n\n'
        "[sweep]\ninterval_seconds = 600\n",
        encoding="utf-8",
    )
    return str(path)


def intervals(deployment: object) -> list[timedelta]:
    return [s.schedule.interval for s in deployment.schedules]  # type: ignore[attr-defined]


def test_every_declared_deployment_imports_its_flow_and_takes_its_parameters(
    config: str,
) -> None:
    declared = [s.deployment for s in local(config)] + pool(config, "yuqing")
    for deployment in declared:
        flow = import_object(deployment.entrypoint)
        assert flow.name == deployment.flow_name, deployment.entrypoint
        assert set(deployment.parameters) <= set(parameter_schema(flow).properties)
        assert all("secret" not in str(v).lower() for v in deployment.parameters.values())
    names = sorted(f"{d.flow_name}/{d.name}" for d in declared)
    reports = [
        f"report/{kind}"
        for kind in ("annual", "daily", "halfyear", "monthly", "quarterly", "weekly")
    ]
    assert names == [
        "collect/pool",
        "collect/scheduled",
        "escalate/pool",
        *sorted(reports * 2),  # inside serve and on the pool
        "rerun-case/manual",
        "rerun-case/pool",
        "rerun-reports/manual",
        "rerun-reports/pool",
        "sweep/backstop",
        "sweep/pool",
    ]


def test_schedules_follow_the_settings_and_never_overlap_on_the_pool(config: str) -> None:
    served = {s.deployment.flow_name: s for s in local(config)}
    assert intervals(served["collect"].deployment) == [timedelta(seconds=120)]
    assert intervals(served["sweep"].deployment) == [timedelta(seconds=600)]
    assert served["collect"].scheduled and not served["rerun-case"].scheduled
    on_pool = {d.flow_name: d for d in pool(config, "yuqing")}
    assert {d.work_pool_name for d in on_pool.values()} == {"yuqing"}
    for name in ("collect", "sweep"):
        assert on_pool[name].parameters == {}  # each machine reads its own YUQING_CONFIG
        assert on_pool[name].concurrency_limit == 1
        strategy = on_pool[name].concurrency_options.collision_strategy
        assert strategy == ConcurrencyLimitStrategy.CANCEL_NEW
    assert not on_pool["escalate"].schedules and not on_pool["rerun-case"].schedules


def test_the_compose_file_runs_serve_once_and_workers_on_the_example_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compose = yaml.safe_load((REPO / "deployments" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "prefect-server", "serve", "worker"}
    assert services["serve"]["command"] == ["serve"]
    worker = services["worker"]["command"]
    monkeypatch.setenv("YUQING_SECRETS__CHANNELS__WANGFANG_WECOM", "json://127.0.0.1:9/x")
    example = load_settings(REPO / "deployments" / "yuqing.example.toml", require_file=True)
    assert worker[:3] == ["worker", "--pool", example.serve.work_pool]
    for name in ("serve", "worker"):
        env = services[name]["environment"]
        assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
        assert env["YUQING_SECRETS__DATABASE_URL"].startswith("postgresql://yuqing:${")
    database = services["prefect-server"]["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    assert database.startswith("postgresql+asyncpg://") and database.endswith("/prefect")
