"""Serve's wake-ups in the distributed setup ask the work pool for escalation runs without piling
them up (`deployments.pool.PoolEscalations`), against a real Prefect server: however often
something is found due, no more runs are in flight than wanted (the setting, or one per online
worker, at least one); a run that ended makes room for the next; a run that has been running far
longer than a run may (its worker died under it) is marked crashed and no longer counts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.states import Completed, Running

from deployments.pool import PoolEscalations, register

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def runs_of(deployment_id: UUID, since: datetime) -> dict[UUID, str]:
    """State of each run of the deployment created since `since`."""
    ours = DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=ours)
    return {r.id: r.state.type.value for r in runs if r.state and r.created and r.created > since}


def ask(escalations: PoolEscalations, times: int) -> None:
    for _ in range(times):
        escalations.last_look = 0.0  # as if a second had passed since the last look
        assert escalations(NOW) is False  # handed off: the loop waits a poll


def test_escalation_runs_never_pile_up(prefect_harness: str, tmp_path: Path) -> None:
    config = tmp_path / "yuqing.toml"
    config.write_text('[general]\ndata_dir = "data"\n', encoding="utf-8")
    since = datetime.now(UTC)
    ids = register(str(config), "pile-test")
    assert set(ids) == {"collect", "sweep", "escalate", "rerun-case", "report", "rerun-reports"}
    # Runs may take no time at all here, so a running one is one its worker left.
    escalations = PoolEscalations(
        ids["escalate"], "pile-test", runs=2, max_seconds=0.0, overrun=0.0
    )
    ask(escalations, 5)
    runs = runs_of(ids["escalate"], since)
    assert len(runs) == 2 and set(runs.values()) == {"SCHEDULED"}

    first, second = list(runs)
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(first, Completed(), force=True)
        client.set_flow_run_state(second, Running(), force=True)
        assert client.read_flow_run(second).start_time is not None
    ask(escalations, 3)
    runs = runs_of(ids["escalate"], since)
    assert runs[first] == "COMPLETED"
    assert runs[second] == "CRASHED"  # running longer than any run may
    assert sorted(runs.values()).count("SCHEDULED") == 2


def test_with_no_worker_online_one_run_is_wanted(prefect_harness: str, tmp_path: Path) -> None:
    config = tmp_path / "yuqing.toml"
    config.write_text('[general]\ndata_dir = "data"\n', encoding="utf-8")
    since = datetime.now(UTC)
    ids = register(str(config), "idle-test")
    escalations = PoolEscalations(ids["escalate"], "idle-test", runs=None, max_seconds=60)
    ask(escalations, 4)
    assert list(runs_of(ids["escalate"], since).values()) == ["SCHEDULED"]


def test_runs_whose_worker_died_no_longer_count_and_are_marked_crashed(
    prefect_harness: str, tmp_path: Path
) -> None:
    """A run a worker claimed and never started (PENDING for ever, as Prefect leaves it), and a
    running one that stopped beating in yuqing's database, are crashed and replaced at once; a
    running one that beats counts."""
    from datetime import timedelta

    from prefect.states import Pending

    from deployments.pool import beating_in
    from models.store.db import session_scope
    from notifications.liveness import beat, run_identity
    from tasks.runtime import prepare

    config = tmp_path / "yuqing.toml"
    config.write_text('[general]\ndata_dir = "data"\n', encoding="utf-8")
    runtime = prepare(str(config))
    since = datetime.now(UTC)
    ids = register(str(config), "dead-test")
    escalations = PoolEscalations(
        ids["escalate"],
        "dead-test",
        runs=3,
        max_seconds=600,
        beating=beating_in(runtime),
        pending_limit=timedelta(0),
    )
    ask(escalations, 3)
    pending, stopped, alive = list(runs_of(ids["escalate"], since))
    now = datetime.now(UTC)
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(pending, Pending(), force=True)
        client.set_flow_run_state(stopped, Running(), force=True)
        client.set_flow_run_state(alive, Running(), force=True)
    with session_scope(runtime.engine) as session:  # what each run's beat left
        beat(session, me=run_identity(str(stopped)), now=now - timedelta(minutes=1))
        beat(session, me=run_identity(str(alive)), now=now)
    ask(escalations, 2)
    runs = runs_of(ids["escalate"], since)
    assert (runs[pending], runs[stopped], runs[alive]) == ("CRASHED", "CRASHED", "RUNNING")
    assert sorted(runs.values()).count("SCHEDULED") == 2  # the two dead ones replaced
    runtime.engine.dispose()
