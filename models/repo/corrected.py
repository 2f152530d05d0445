"""A correction on the record (更正): what was changed on a case after the fact — its units, its
category, its grade, its stage — from what to what, why, by whom and with whose consent, as a
`Correction` row (part of the accountability evidence and the case file) and a timeline entry.
Keyword-only functions over a Session."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from models.policy.states import EventKind
from models.repo.cases import add_event, who
from models.store.tables import Correction

KIND_LABELS: Mapping[str, str] = {
    "units": "责任单位",
    "category": "类别",
    "grade": "等级",
    "stage": "阶段",
}


def record_correction(
    session: Session,
    *,
    case_id: int,
    kind: str,
    change: tuple[str, str],
    reason: str,
    by: str,
    at: datetime,
    approved_by: str | None = None,
) -> Correction:
    """The correction `change` (before, after) of `kind`, with its reason, on the record."""
    before, after = change
    row = Correction(
        case_id=case_id,
        kind=kind,
        before=before,
        after=after,
        reason=reason,
        corrected_by=by,
        approved_by=approved_by,
        at=at,
    )
    session.add(row)
    consent = f"（经 {who(session, approved_by)} 同意）" if approved_by else ""
    add_event(
        session,
        case_id=case_id,
        kind=EventKind.CORRECTED,
        at=at,
        actor=by,
        message=f"{who(session, by)} 更正{KIND_LABELS.get(kind, kind)}：{before or '（无）'} → "
        f"{after or '（无）'}，理由：{reason}{consent}",
        data={"kind": kind, "before": before, "after": after, "reason": reason},
    )
    return row


def corrections_of(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    """Each case's corrections as lines (oldest first), for the accountability evidence."""
    found: dict[int, list[str]] = {}
    if not case_ids:
        return found
    rows = session.exec(
        select(Correction)
        .where(col(Correction.case_id).in_(case_ids))
        .order_by(col(Correction.at), col(Correction.id))
    ).all()
    for r in rows:
        consent = f"，{who(session, r.approved_by)} 同意" if r.approved_by else ""
        found.setdefault(r.case_id, []).append(
            f"{KIND_LABELS.get(r.kind, r.kind)}：{r.before or '（无）'} → {r.after or '（无）'}"
            f"（{who(session, r.corrected_by)}，理由：{r.reason}{consent}）"
        )
    return found
