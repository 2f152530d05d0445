"""The report figures computed by one hand-written SQL query per figure, for `bench/reports.py`
to compare with the engine's and to time: what the database alone costs, the floor the engine's
gather-and-compute stands on. Same definitions as `models.reports.figures` (nearest-rank
quantiles: the ⌈q·n⌉-th smallest; a deadline cancelled after it lapsed is unmet)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, text

from models.reports.periods import Period
from models.store.columns import UTCTimestamp

TZ_NAME = "Asia/Shanghai"
MET = """CASE
  WHEN o.status = 'cancelled' AND o.level > 0 THEN 'unmet'
  WHEN o.status = 'cancelled' THEN 'cancelled'
  WHEN o.completed_at IS NOT NULL AND o.completed_at <= :as_of AND o.completed_at <= o.due_at
    THEN 'on_time'
  WHEN o.completed_at IS NOT NULL AND o.completed_at <= :as_of THEN 'late'
  WHEN o.due_at < :as_of THEN 'unmet'
  ELSE 'pending' END"""
DUE = "o.due_at >= :start AND o.due_at < :end"


def _seconds(dialect: str, later: str, earlier: str) -> str:
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0)"


def _json(dialect: str, column: str, field: str) -> str:
    return (
        f"({column} ->> '{field}')"
        if dialect == "postgresql"
        else f"json_extract({column}, '$.{field}')"
    )


def _quantile(span: str, where: str, numerator: int, denominator: int) -> str:
    """The ⌈(numerator/denominator)·n⌉-th smallest `span` of the rows `where` picks."""
    return f"""
    SELECT d FROM (
      SELECT {span} AS d, ROW_NUMBER() OVER (ORDER BY {span}) AS rn, COUNT(*) OVER () AS n
      FROM obligation o WHERE {where}
    ) ranked WHERE rn = ({numerator} * n + {denominator} - 1) / {denominator}"""


def queries(dialect: str) -> dict[str, str]:
    done = _seconds(dialect, "o.completed_at", "o.anchor_at")
    acked = _seconds(dialect, "o.acked_at", "o.anchor_at")
    met = f"({MET}) IN ('on_time', 'late')"
    ranks = "CASE {} WHEN 'g1' THEN 1 WHEN 'g2' THEN 2 WHEN 'g3' THEN 3 ELSE 4 END"
    before, after = _json(dialect, "e.data", "from"), _json(dialect, "e.data", "to")
    return {
        "active": 'SELECT COUNT(*) FROM "case" c WHERE c.discovered_at < :end '
        "AND (c.closed_at IS NULL OR c.closed_at >= :start)",
        "opened_by_grade": 'SELECT c.grade, COUNT(*) FROM "case" c '
        "WHERE c.discovered_at >= :start AND c.discovered_at < :end GROUP BY c.grade",
        "opened_by_category": "SELECT COALESCE(c.category, '') AS k, COUNT(*) FROM \"case\" c "
        "WHERE c.discovered_at >= :start AND c.discovered_at < :end GROUP BY k",
        "sla": f"""SELECT o.key, c.grade, {MET} AS met, COUNT(*) FROM obligation o
            JOIN "case" c ON c.id = o.case_id WHERE {DUE} GROUP BY o.key, c.grade, met""",
        "lapsed_by_unit": f"""
            WITH ru AS (SELECT role, unit_id FROM (SELECT role, unit_id, ROW_NUMBER() OVER
                (PARTITION BY role ORDER BY person_id) AS rn FROM roleassignment
                WHERE unit_id IS NOT NULL) r WHERE rn = 1)
            SELECT CASE WHEN o.owner_role IN ('unit_responsible', 'unit_liaison')
                        THEN COALESCE(c.lead_unit_id, '未指定')
                        ELSE COALESCE(ru.unit_id, '未指定') END AS unit, COUNT(*)
            FROM obligation o JOIN "case" c ON c.id = o.case_id
            LEFT JOIN ru ON ru.role = o.owner_role
            WHERE {DUE} AND ({MET}) IN ('late', 'unmet') GROUP BY unit""",
        "done_median_s": _quantile(done, f"{DUE} AND {met}", 1, 2),
        "done_p90_s": _quantile(done, f"{DUE} AND {met}", 9, 10),
        "ack_median_s": _quantile(
            acked, f"{DUE} AND o.acked_at IS NOT NULL AND o.acked_at <= :as_of", 1, 2
        ),
        "ack_p90_s": _quantile(
            acked, f"{DUE} AND o.acked_at IS NOT NULL AND o.acked_at <= :as_of", 9, 10
        ),
        "regrades": f"""SELECT CASE WHEN {ranks.format(after)} < {ranks.format(before)} THEN 'up'
                ELSE 'down' END AS way, COUNT(*) FROM caseevent e
            WHERE e.kind = 'grade_changed' AND e.at >= :start AND e.at < :end
              AND {ranks.format(after)} <> {ranks.format(before)} GROUP BY way""",
        "extensions": "SELECT a.status, COUNT(*) FROM approvalrequest a WHERE a.kind = 'extension' "
        "AND a.decided_at >= :start AND a.decided_at < :end GROUP BY a.status",
        "referrals": "SELECT r.body, COUNT(*) FROM referral r WHERE r.at >= :start AND r.at < :end "
        "GROUP BY r.body",
        "accountability": "SELECT COUNT(*) FROM accountabilityrecord a "
        "WHERE a.recorded_at >= :start AND a.recorded_at < :end",
        "deliveries": "SELECT d.channel, COUNT(*), SUM(CASE WHEN d.ok THEN 1 ELSE 0 END) "
        "FROM delivery d WHERE d.at >= :start AND d.at < :end GROUP BY d.channel",
    }


def sql_figures(engine: Engine, period: Period, *, as_of: datetime) -> tuple[dict[str, Any], float]:
    """(the figures, seconds the queries took)."""
    from zoneinfo import ZoneInfo

    start, end = period.bounds(ZoneInfo(TZ_NAME))
    found: dict[str, Any] = {}
    began = time.perf_counter()
    with engine.connect() as connection:
        for name, sql in queries(engine.dialect.name).items():
            statement = text(sql).bindparams(
                *(
                    bindparam(p, type_=UTCTimestamp)
                    for p in ("start", "end", "as_of")
                    if f":{p}" in sql
                )
            )
            params = {"start": start, "end": end, "as_of": as_of}
            rows = connection.execute(
                statement, {k: v for k, v in params.items() if f":{k}" in sql}
            ).all()
            found[name] = _shape(name, rows)
    return found, time.perf_counter() - began


def _shape(name: str, rows: Sequence[Any]) -> Any:
    if name in ("active", "accountability"):
        return int(rows[0][0])
    if name.endswith("_s"):
        return float(rows[0][0]) if rows else None
    if name == "sla":
        cells: dict[str, list[int]] = {}
        order = ["on_time", "late", "unmet", "pending", "cancelled"]
        for key, grade, met, count in rows:
            cell = cells.setdefault(f"{key}|{grade}", [0, 0, 0, 0, 0, 0])
            cell[1 + order.index(met)] += int(count)
            cell[0] += int(count) if met != "cancelled" else 0
        return cells
    if name == "deliveries":
        return {channel: [int(n), int(ok)] for channel, n, ok in rows}
    return {str(key): int(count) for key, count in rows}
