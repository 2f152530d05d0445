"""What an outbox row's attachment reference ("report:<id>") stands for: the stored report's
file, read in the dispatcher's claiming transaction (one query per round, only when a claimed
row carries one) and handed to `channels.send` in memory."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from models.reports.formats import MIME
from models.store.tables import StoredReport
from notifications.channels import Attachment

PREFIX = "report:"


def load_attachments(session: Session, refs: Iterable[str | None]) -> dict[str, Attachment]:
    """reference → file, for the references that name a built report (others are left out: the
    message goes without the file, and its download link still works once the report is)."""
    ids = {int(ref[len(PREFIX) :]) for ref in refs if ref and ref.startswith(PREFIX)}
    if not ids:
        return {}
    query = select(StoredReport).where(
        col(StoredReport.id).in_(ids), col(StoredReport.content).is_not(None)
    )
    found = {}
    for report in session.exec(query):
        mime = MIME.get(report.format, "application/octet-stream")
        found[f"{PREFIX}{report.id}"] = Attachment(report.filename, report.content or b"", mime)
    return found
