"""The report engine at scale: the monthly ledger (November 2026, with every sheet, rendered to
.xlsx and stored) and the annual statistics (2026) over 100,000 cases, ~600,000 deadlines,
100,000 items and 1,000,000 deliveries, on SQLite and on PostgreSQL. Each build runs in a fresh
process (`--child`), so its peak RSS is its own; then the same figures are computed by one
hand-written SQL query per figure in this process, compared with the engine's (they must be
equal) and timed, and the ratio engine / SQL is printed. Targets: ≤ 10 s and ≤ 500 MB a build.

    uv run python bench/reports.py                 # both backends, 100k cases, 1M deliveries
    uv run python bench/reports.py --quick         # 10k cases, 100k deliveries
    uv run python bench/reports.py --backend sqlite
    uv run python bench/reports.py --cases 200 --backend sqlite   # a smoke run

The final line is one JSON object with unit-bearing keys."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from common import database
from report_data import fill, write_config
from report_sql import sql_figures

from models.reports.periods import ReportKind, period_containing
from tasks.reports.build import build_report, report_input
from tasks.runtime import prepare

AS_OF = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 December in Shanghai
PERIODS = {
    "monthly": period_containing(ReportKind.MONTHLY, date(2026, 11, 1)),
    "annual": period_containing(ReportKind.ANNUAL, date(2026, 1, 1)),
}


def child(config: str, which: str) -> None:
    """Build one report in this fresh process; print seconds, peak RSS and its figures."""
    runtime = prepare(config)
    kind = ReportKind.MONTHLY if which == "monthly" else ReportKind.ANNUAL
    began = time.perf_counter()
    built = build_report(runtime, kind=kind, period=PERIODS[which], format="xlsx", now=AS_OF)
    seconds = time.perf_counter() - began
    data = report_input(runtime, period=PERIODS[which], now=AS_OF)  # the figures, to compare
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "s": seconds,
                "rss_mb": peak,
                "bytes": len(built.content),
                "figures": engine_figures(data),
            }
        )
    )


def engine_figures(data: Any) -> dict[str, Any]:
    """The engine's figures in the shape `report_sql.sql_figures` gives them."""
    start, end = data.period.bounds(data.labels.tz)
    opened = [c for c in data.cases if start <= c.discovered_at < end]
    sla = data.sla
    quantiles = sla.overall.quantiles()
    regrades: dict[str, int] = {}
    for change in data.regrades:
        before, after = data.labels.ranks[change.from_grade], data.labels.ranks[change.to_grade]
        if after != before:
            way = "up" if after < before else "down"
            regrades[way] = regrades.get(way, 0) + 1
    decided: dict[str, int] = {}
    for row in data.approvals:
        if row.kind == "extension" and row.status != "pending":
            decided[row.status] = decided.get(row.status, 0) + 1
    return {
        "active": len(data.cases),
        "opened_by_grade": _counted(c.grade for c in opened),
        "opened_by_category": _counted(c.category or "" for c in opened),
        "sla": {
            f"{k}|{g}": [c.due, c.on_time, c.late, c.unmet, c.pending, c.cancelled]
            for (k, g), c in sla.by_rule.items()
        },
        "lapsed_by_unit": {u: c.lapsed for u, c in sla.by_unit.items() if c.lapsed},
        "done_median_s": quantiles["done_median_s"],
        "done_p90_s": quantiles["done_p90_s"],
        "ack_median_s": quantiles["ack_median_s"],
        "ack_p90_s": quantiles["ack_p90_s"],
        "regrades": regrades,
        "extensions": decided,
        "referrals": _counted(r.body for r in data.referrals),
        "accountability": len(data.verdicts),
        "deliveries": {d.channel: [d.attempts, d.delivered] for d in data.deliveries},
    }


def _counted(values: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for value in values:
        found[value] = found.get(value, 0) + 1
    return found


def run_child(config: str, which: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", config, which],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent,
    )
    if result.returncode != 0:
        raise SystemExit(f"child {which} failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def same(engine: dict[str, Any], sql: dict[str, Any]) -> list[str]:
    """The figures that differ (times within half a second: SQLite computes them in floats)."""
    differ = []
    for key, value in sql.items():
        mine = engine[key]
        if key.endswith("_s") and value is not None and mine is not None:
            ok = abs(float(value) - float(mine)) <= 0.5
        else:
            ok = mine == value
        if not ok:
            differ.append(f"{key}: engine {mine!r} ≠ sql {value!r}")
    return differ


def bench(backend: str, cases: int, deliveries: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with database(backend) as url, tempfile.TemporaryDirectory(prefix="yuqing-bench-") as tmp:
        config = write_config(Path(tmp), url)
        began = time.perf_counter()
        counts = fill(prepare(str(config)), cases=cases, deliveries=deliveries)
        print(f"{backend}: filled {counts} in {time.perf_counter() - began:.1f} s", flush=True)
        runtime = prepare(str(config))
        for which in ("monthly", "annual"):
            built = run_child(str(config), which)
            sql, sql_s = sql_figures(runtime.engine, PERIODS[which], as_of=AS_OF)
            differ = same(built["figures"], sql)
            if differ:
                raise SystemExit(f"{backend} {which}: figures differ:\n" + "\n".join(differ))
            label = f"{backend}_{which}"
            print(
                f"  {which:>8}: build {built['s']:6.2f} s, peak RSS {built['rss_mb']:6.0f} MB, "
                f"file {built['bytes'] / 1e6:5.1f} MB; hand-written SQL {sql_s:6.2f} s "
                f"(ratio {built['s'] / sql_s:4.1f}); {built['figures']['active']} cases, "
                f"figures equal",
                flush=True,
            )
            figures[f"{label}_build_s"] = round(built["s"], 2)
            figures[f"{label}_peak_rss_mb"] = round(built["rss_mb"])
            figures[f"{label}_sql_s"] = round(sql_s, 2)
            figures[f"{label}_ratio_x"] = round(built["s"] / sql_s, 1)
        runtime.engine.dispose()
    return figures


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
        return
    quick = "--quick" in sys.argv
    cases, deliveries = (10_000, 100_000) if quick else (100_000, 1_000_000)
    if "--cases" in sys.argv:  # a smoke run at any size: N cases, 10 N deliveries
        cases = int(sys.argv[sys.argv.index("--cases") + 1])
        deliveries = 10 * cases
    backends = ["sqlite", "postgresql"]
    if "--backend" in sys.argv:
        backends = [sys.argv[sys.argv.index("--backend") + 1]]
    figures: dict[str, float] = {"cases": cases, "deliveries": deliveries}
    for backend in backends:
        figures |= bench(backend, cases, deliveries)
    builds = [v for k, v in figures.items() if k.endswith("_build_s")]
    rss = [v for k, v in figures.items() if k.endswith("_peak_rss_mb")]
    figures["max_build_s"], figures["max_peak_rss_mb"] = max(builds), max(rss)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
