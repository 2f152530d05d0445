"""After each collection run: every open case's metrics, computed from its items
(`models.policy.spread`), are recorded as a `MetricSnapshot` when they differ from the last one, and
the grade rules run on them; a case whose metrics crossed a band is upgraded automatically
(`models.repo.regrade.regrade` with no actor: deadlines only shorten, the diff is on the
timeline). Returns the upgrades, each with the notice telling the chain's first level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.policy import CaseMetrics, Policy, WorkCalendar, evaluate_grade, upgrade_for_metrics
from models.policy.notices import Notice
from models.policy.spread import ItemFacts, case_metrics
from models.repo.regrade import regrade
from models.store.tables import Case, Item, MetricSnapshot


@dataclass(frozen=True)
class Upgrade:
    case_id: int
    from_grade: str
    to_grade: str
    metrics: CaseMetrics
    notices: tuple[Notice, ...] = ()


def snapshot_open_cases(
    session: Session,
    *,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    sensitive_period: bool = False,
) -> list[Upgrade]:
    cases = session.exec(select(Case).where(col(Case.closed_at).is_(None))).all()
    if not cases:
        return []
    facts = _facts(session, [c.id for c in cases if c.id is not None])
    last = _last_snapshots(session)
    rows: list[dict[str, Any]] = []
    upgrades: list[Upgrade] = []
    for case in cases:
        assert case.id is not None
        items = facts.get(case.id, [])
        metrics = case_metrics(items, sensitive_period=sensitive_period)
        row = _snapshot_row(case.id, len(items), metrics, evaluate_grade(policy.scheme, metrics))
        row["at"] = now
        if last.get(case.id) != _comparable(row):
            rows.append(row)
        upgraded = _upgrade(session, case, metrics, now=now, policy=policy, calendar=calendar)
        upgrades += [upgraded] if upgraded is not None else []
    if rows:
        session.execute(insert(MetricSnapshot), rows)
    return upgrades


def _upgrade(
    session: Session,
    case: Case,
    metrics: CaseMetrics,
    *,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
) -> Upgrade | None:
    """The grade the metrics call for, when above the case's: regraded with no actor."""
    assert case.id is not None
    decision = upgrade_for_metrics(policy.scheme, case.grade, metrics)
    if decision is None:
        return None
    _, notices = regrade(
        session,
        case_id=case.id,
        grade=decision.to_grade,
        actor=None,
        reason=_describe(metrics),
        at=now,
        policy=policy,
        calendar=calendar,
    )
    return Upgrade(case.id, decision.from_grade, decision.to_grade, metrics, tuple(notices))


def _facts(session: Session, case_ids: list[int]) -> dict[int, list[ItemFacts]]:
    t = Item.__table__.c  # type: ignore[attr-defined]
    query = sa_select(t.case_id, t.site, t.media_level, t.clicks, t.comments, t.reposts).where(
        t.case_id.in_(case_ids)
    )
    facts: dict[int, list[ItemFacts]] = {}
    for case_id, site, level, clicks, comments, reposts in session.execute(query):
        facts.setdefault(case_id, []).append(ItemFacts(site, level, clicks, comments, reposts))
    return facts


COMPARED = ("items", "sites", "mainstream_sites", "media_level", "clicks", "comments", "reposts")


def _comparable(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[k] for k in (*COMPARED, "sensitive_period", "grade"))


def _last_snapshots(session: Session) -> dict[int, tuple[Any, ...]]:
    t = MetricSnapshot.__table__.c  # type: ignore[attr-defined]
    latest = sa_select(func.max(t.id)).group_by(t.case_id).scalar_subquery()
    query = sa_select(t).where(t.id.in_(latest))
    return {row.case_id: _comparable(row._asdict()) for row in session.execute(query)}


def _snapshot_row(case_id: int, items: int, metrics: CaseMetrics, grade: str) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "items": items,
        "sites": metrics.sites,
        "mainstream_sites": metrics.mainstream_sites,
        "media_level": metrics.media_level.value,
        "clicks": metrics.clicks,
        "comments": metrics.comments,
        "reposts": metrics.reposts,
        "sensitive_period": metrics.sensitive_period,
        "grade": grade,
    }


def _describe(metrics: CaseMetrics) -> str:
    return (
        f"指标越档（点击 {metrics.clicks}，评论 {metrics.comments}，转发 {metrics.reposts}，"
        f"站点 {metrics.sites}，主流站点 {metrics.mainstream_sites}，"
        f"媒体级别 {metrics.media_level.value}）"
    )
