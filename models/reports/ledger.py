"""The ledger as S0-14's form files it (seeds-spec §7.4): one row per risk point (序号, 存在风险点,
具体应对措施, 风险防范化解成效, 下步重点工作, 备注, then the lead and responsible units and the
resolution deadline its plan body gives each risk point, then the period's figures as numbers);
the measures are the plan's own plus what was done in the period, counted — not a list of
internal steps. The case list (one row per case) is its own table. What each case has done and
has still to do is gathered from its deadlines one row at a time (`Progress.add`). Standard
library only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from models.policy.stages import Stage
from models.reports.document import Cell, Table, rate_cell
from models.reports.figures import Met, classify, rate
from models.reports.labels import MANUAL_SOURCE, Labels
from models.reports.risks import RiskGroup
from models.reports.rows import CaseRow, ObligationRow, ReferralRow, from_epoch

LEDGER_HEADERS = (
    "序号",
    "存在风险点",
    "具体应对措施",
    "风险防范化解成效",
    "下步重点工作",
    "备注",
    "牵头单位",
    "责任单位",
    "化解时限",
    "涉及舆情（起）",
    "已办结（起）",
    "时限按时率",
)
CASE_HEADERS = (
    "案件编号",
    "标题",
    "等级",
    "类别",
    "来源",
    "网站",
    "原文链接",
    "发现时间",
    "阶段",
    "牵头单位",
    "责任单位",
    "办结时间",
    "处置结果",
    "逾期事项",
    "案件链接",
)
EXTERNAL_KINDS = frozenset({"intake"})  # first known from outside: a hint of a missed report


@dataclass
class Progress:
    """What one case has done (deadlines completed, in order) and has still to do."""

    done: list[tuple[datetime, str]] = field(default_factory=list)
    next_open: tuple[datetime, str] | None = None
    resolution_due: datetime | None = None
    lapsed: list[str] = field(default_factory=list)
    met: Counter[Met] = field(default_factory=Counter)

    def add(self, row: ObligationRow, *, as_of: float, resolution_keys: frozenset[str]) -> None:
        """Take in one of the case's deadlines (`as_of`: seconds since the epoch)."""
        met = classify(
            status=row.status,
            due_at=row.due_at,
            completed_at=row.completed_at,
            as_of=as_of,
            level=row.level,
        )
        if met is Met.CANCELLED:
            return
        self.met[met] += 1
        if row.key in resolution_keys:
            self.resolution_due = from_epoch(row.due_at)
        if met in (Met.ON_TIME, Met.LATE):
            assert row.completed_at is not None
            self.done.append((from_epoch(row.completed_at), row.title))
        elif row.status == "open" and (
            self.next_open is None or row.due_at < self.next_open[0].timestamp()
        ):
            self.next_open = (from_epoch(row.due_at), row.title)
        if met in (Met.LATE, Met.UNMET):
            self.lapsed.append(row.title)


def referrals_by_case(rows: Iterable[ReferralRow]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.case_id, []).append(row.body)
    return found


def ledger_table(
    groups: Sequence[RiskGroup],
    progress: Mapping[int, Progress],
    referrals: Mapping[int, list[str]],
    labels: Labels,
    *,
    preamble: tuple[str, ...] = (),
    name: str = "月度台账",
) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for number, group in enumerate(groups, start=1):
        risk, cases = group.risk, group.cases
        steps = [progress.get(c.id, Progress()) for c in cases]
        met: Counter[Met] = sum((s.met for s in steps), Counter())
        rows.append(
            (
                number,
                risk.title,
                _measures(group, referrals, labels),
                _results(cases, met, labels),
                _next(group, steps, labels),
                _remarks(cases, steps),
                "、".join(labels.unit(u) for u in _units(risk.lead_units, cases, lead=True)),
                "、".join(labels.unit(u) for u in _units(risk.units, cases, lead=False)),
                risk.deadline or _latest(steps, labels),
                len(cases),
                sum(1 for c in cases if c.closed_at is not None),
                rate_cell(rate(met[Met.ON_TIME], met[Met.LATE], met[Met.UNMET])),
            )
        )
    widths = (6, 30, 50, 36, 36, 20, 14, 18, 18, 9, 9, 9)
    return Table("ledger", name, LEDGER_HEADERS, rows, preamble=preamble, widths=widths)


_STEPS = (
    (Stage.assessed, "已研判"),
    (Stage.dispatched, "已交办核查"),
    (Stage.responded, "已公开回应"),
)
_ORDER = list(Stage)


def _reached(case: CaseRow, stage: Stage) -> bool:
    try:
        return case.closed_at is not None or _ORDER.index(Stage(case.stage)) >= _ORDER.index(stage)
    except ValueError:
        return False


def _measures(group: RiskGroup, referrals: Mapping[int, list[str]], labels: Labels) -> str:
    cases = group.cases
    lines = [group.risk.measures] if group.risk.measures else []
    if not cases:
        return "\n".join(lines) or "本期未发现相关舆情，保持常态监测"
    done = [f"{label}{sum(_reached(c, stage) for c in cases)}起" for stage, label in _STEPS]
    closed = sum(1 for c in cases if c.closed_at is not None)
    bodies = Counter(b for c in cases for b in referrals.get(c.id, []))
    moved = [f"移送{labels.body(b)}{n}次" for b, n in sorted(bodies.items())]
    line = f"本期处置相关舆情{len(cases)}起：{'、'.join(done)}、已办结{closed}起"
    return "\n".join([*lines, "；".join([line, *moved]) + "。"])


def _results(cases: Sequence[CaseRow], met: Counter[Met], labels: Labels) -> str:
    if not cases:
        return "本期未发生相关舆情"
    closed = [c for c in cases if c.closed_at is not None]
    outcomes = Counter(labels.outcome(c.outcome) or "已办结" for c in closed)
    how = "、".join(f"{o}{n}起" for o, n in sorted(outcomes.items()))
    text = f"相关舆情{len(cases)}起，已办结{len(closed)}起" + (f"（{how}）" if how else "")
    text += f"，在办{len(cases) - len(closed)}起"
    judged = met[Met.ON_TIME] + met[Met.LATE] + met[Met.UNMET]
    if judged:
        text += f"；到期时限{judged}项，按时完成{met[Met.ON_TIME]}项"
        late = met[Met.LATE] + met[Met.UNMET]
        text += f"，逾期{late}项" if late else "，无逾期"
    return text + "。"


def _next(group: RiskGroup, steps: Sequence[Progress], labels: Labels) -> str:
    pending = sorted(
        (s.next_open[0], c.title, s.next_open[1])
        for c, s in zip(group.cases, steps, strict=True)
        if s.next_open is not None and c.closed_at is None
    )
    lines = [group.risk.next_steps] if group.risk.next_steps else []
    shown = [f"{title}：{what}（截止 {labels.text(due)[5:]}）" for due, title, what in pending[:3]]
    if shown:
        more = f"等{len(pending)}起" if len(pending) > 3 else ""
        lines.append("督促办结在办舆情：" + "；".join(shown) + more)
    return "\n".join(lines) or "持续监测，防止反弹"


def _remarks(cases: Sequence[CaseRow], steps: Sequence[Progress]) -> str:
    lapsed = sum(len(s.lapsed) for s in steps)
    notes = [f"逾期事项{lapsed}项"] if lapsed else []
    outside = sum(1 for c in cases if c.source_kind in EXTERNAL_KINDS)
    if outside:
        notes.append(f"{outside}起首次获知来自外部转办")
    return "；".join(notes)


def _units(configured: tuple[str, ...], cases: Sequence[CaseRow], *, lead: bool) -> list[str]:
    if configured:
        return list(configured)
    found = (c.lead for c in cases) if lead else (u for c in cases for u in c.units)
    return list(dict.fromkeys(u for u in found if u))


def _latest(steps: Sequence[Progress], labels: Labels) -> str:
    dues = [s.resolution_due for s in steps if s.resolution_due is not None]
    return labels.text(max(dues))[:10] if dues else ""


def case_table(cases: Sequence[CaseRow], progress: Mapping[int, Progress], labels: Labels) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (
            case.id,
            case.title,
            labels.grade(case.grade),
            labels.category(case.category),
            case.source or MANUAL_SOURCE,
            case.site or "",
            case.url or "",
            labels.local(case.discovered_at),
            labels.stage(case.stage),
            labels.unit(case.lead) if case.lead else "",
            "、".join(labels.unit(u) for u in case.units),
            labels.local(case.closed_at),
            labels.outcome(case.outcome),
            len(progress[case.id].lapsed) if case.id in progress else 0,
            labels.case_link(case.id),
        )
        for case in cases
    ]
    widths = (9, 40, 6, 14, 14, 16, 40, 17, 9, 16, 24, 17, 10, 9, 36)
    return Table("cases", "案件清单", CASE_HEADERS, rows, widths=widths)
