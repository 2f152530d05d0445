"""The accountability ledger (问责台账, seeds-spec §8.3, F19): every lapse's evidence (first known,
first reported, due, done, how late, who) beside the judgement a person gave it. The machine
flags; people judge: a record without a judgement reads 待研判, never a verdict. Filters for
the console and the export, and the table. Standard library only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.policy.permissions import ROLE_LABELS
from models.reports.document import Cell, Table
from models.reports.labels import CONSEQUENCE_LABELS, Labels, duration_text
from models.reports.rows import AccountabilityRow

HEADERS = (
    "记录编号",
    "案件编号",
    "案件",
    "等级",
    "逾期事项",
    "责任角色",
    "责任人",
    "首次获知",
    "首次报告",
    "截止时间",
    "完成时间",
    "超时",
    "记录时间",
    "线索",
    "更正记录",
    "研判结论",
    "研判理由",
    "处理建议",
    "研判人",
    "研判时间",
)
PENDING = "待研判"
MISSED_HINT = "首次获知来自外部转办：请核实是否漏报"
UNREPORTED_HINT = "至记录时仍未报告"


class Verdict(StrEnum):
    """What the console filters on: judged justified, judged not, or not judged yet."""

    PENDING = "pending"
    JUSTIFIED = "justified"
    UNJUSTIFIED = "unjustified"


def verdict(row: AccountabilityRow) -> Verdict:
    if row.judgement is None:
        return Verdict.PENDING
    return Verdict.JUSTIFIED if row.judgement.justified else Verdict.UNJUSTIFIED


def verdict_text(row: AccountabilityRow) -> str:
    if row.judgement is None:
        return PENDING
    return "理由成立，不予追责" if row.judgement.justified else "理由不成立，需追责"


@dataclass(frozen=True)
class LedgerFilter:
    """The console's filters; None means any."""

    verdict: Verdict | None = None
    grade: str | None = None
    obligation: str | None = None  # obligation title
    person: str | None = None  # a responsible person id

    def keeps(self, row: AccountabilityRow) -> bool:
        return (
            (self.verdict is None or verdict(row) is self.verdict)
            and (self.grade is None or row.grade == self.grade)
            and (self.obligation is None or row.obligation == self.obligation)
            and (self.person is None or self.person in row.responsible)
        )


def select(rows: Iterable[AccountabilityRow], where: LedgerFilter) -> list[AccountabilityRow]:
    return [row for row in rows if where.keeps(row)]


def hints(row: AccountabilityRow) -> str:
    """Evidence worth a person's attention (seeds-spec §8.3: late, missed, concealed reports)."""
    found = []
    if row.source_kind == "intake":
        found.append(MISSED_HINT)
    if row.first_reported is None or row.first_reported > row.recorded_at:
        found.append(UNREPORTED_HINT)
    return "；".join(found)


def how_late(row: AccountabilityRow, as_of: datetime | None) -> str:
    """Done: by how much it was late; not done: how late it is at `as_of` (or was recorded)."""
    if row.done_at is not None:
        return duration_text(max(0.0, (row.done_at - row.due_at).total_seconds()))
    if as_of is None:
        return f"未完成（记录时已超 {duration_text(row.late_seconds)}）"
    return f"未完成，已超 {duration_text(max(0.0, (as_of - row.due_at).total_seconds()))}"


def accountability_summary(verdicts: Sequence[tuple[str, bool | None]]) -> Table:
    """Per obligation: records, and how many people judged justified, not, or not yet (from
    (obligation title, justified or None) pairs)."""
    counts: dict[str, list[int]] = {}
    column = {None: 1, True: 2, False: 3}
    for obligation, justified in verdicts:
        cell = counts.setdefault(obligation, [0, 0, 0, 0])
        cell[0] += 1
        cell[column[justified]] += 1
    total = [sum(c[n] for c in counts.values()) for n in range(4)]
    cells: list[tuple[Cell, ...]] = [(name, *c) for name, c in sorted(counts.items())]
    cells.append(("合计", *total))
    headers = ("逾期事项", "记录数", PENDING, "理由成立", "理由不成立")
    return Table("accountability", "问责统计", headers, cells, widths=(24, 9, 9, 9, 9))


def accountability_table(
    rows: Sequence[AccountabilityRow], labels: Labels, *, as_of: datetime | None = None
) -> Table:
    cells: list[tuple[Cell, ...]] = []
    for row in rows:
        judged = row.judgement
        cells.append(
            (
                row.id,
                row.case_id,
                row.case_title,
                labels.grade(row.grade),
                row.obligation,
                ROLE_LABELS.get(row.owner_role, row.owner_role),
                "、".join(labels.person(p) for p in row.responsible) or "未配置",
                labels.local(row.first_known),
                labels.local(row.first_reported),
                labels.local(row.due_at),
                labels.local(row.done_at),
                how_late(row, as_of),
                labels.local(row.recorded_at),
                hints(row),
                "\n".join(row.corrections),
                verdict_text(row),
                judged.reason if judged else "",
                CONSEQUENCE_LABELS.get(judged.consequence, "") if judged else "",
                labels.person(judged.judged_by) if judged else "",
                labels.local(judged.judged_at) if judged else None,
            )
        )
    widths = (8, 8, 30, 6, 16, 14, 16, 17, 17, 17, 17, 12, 17, 30, 30, 16, 30, 12, 10, 17)
    return Table("accountability", "问责台账", HEADERS, cells, widths=widths)
