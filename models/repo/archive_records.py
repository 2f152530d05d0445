"""The case file's tables of what people decided besides the stages (S2-4.3 三.6: 领导批示件 are
filed): the leaders' instructions (批示) and the corrections (更正: units, category, grade, a
stage moved back, each with its reason and consent). Read by `models.repo.archive`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from models.repo.corrected import KIND_LABELS
from models.reports.archive import ArchiveCell, ArchiveTable
from models.reports.labels import Labels
from models.store.tables import Correction, Instruction

When = Callable[[datetime | None], str | None]


def instructions_table(session: Session, case_id: int, labels: Labels, when: When) -> ArchiveTable:
    query = select(Instruction).where(Instruction.case_id == case_id).order_by(col(Instruction.id))
    rows: list[tuple[ArchiveCell, ...]] = [
        (i.id, labels.person(i.given_by), when(i.at), i.text) for i in session.exec(query)
    ]
    return ArchiveTable("instructions", "领导批示", ("编号", "批示人", "时间", "批示内容"), rows)


def corrections_table(session: Session, case_id: int, labels: Labels, when: When) -> ArchiveTable:
    query = select(Correction).where(Correction.case_id == case_id).order_by(col(Correction.id))
    rows: list[tuple[ArchiveCell, ...]] = [
        (
            KIND_LABELS.get(c.kind, c.kind),
            c.before,
            c.after,
            c.reason,
            labels.person(c.corrected_by),
            labels.person(c.approved_by) if c.approved_by else None,
            when(c.at),
        )
        for c in session.exec(query)
    ]
    headers = ("更正事项", "更正前", "更正后", "理由", "更正人", "同意人", "时间")
    return ArchiveTable("corrections", "更正记录", headers, rows)
