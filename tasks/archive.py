"""The per-case archive (立卷归档, F22) as a file: gather the case's records
(`models.repo.archive`), pack them with their SHA-256 manifest (`models.reports.archive`), and
note the export on the case's timeline (who took a copy of the file, and when: disclosures are
on the record, S1-4§28, F23); the export meets what the plan says filing meets (S2-4.3 三.6).
Used by `yuqing case archive` and the console's download."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.policy.states import EventKind
from models.repo.archive import case_archive
from models.repo.cases import add_event
from models.repo.instances import meet
from models.reports.archive import pack
from models.store.db import session_scope
from tasks.reports.context import labels_for
from tasks.runtime import Runtime


def archive_case(runtime: Runtime, *, case_id: int, now: datetime, by: str) -> tuple[bytes, int]:
    """The zip and how many files it holds (the manifest's); CaseError for an unknown case."""
    labels = labels_for(runtime)
    with Session(runtime.engine) as session:
        archive = case_archive(session, case_id=case_id, labels=labels)
    who = labels.person(by)
    content = pack(archive, generated_at=now.astimezone(labels.tz), generated_by=who)
    files = 2 * len(archive.tables) + len(archive.documents) + 1
    with session_scope(runtime.engine) as session:
        filed = meet(
            session, case_id=case_id, action="archive", actor=by, at=now, policy=runtime.policy
        )
        add_event(
            session,
            case_id=case_id,
            kind=EventKind.NOTE,
            at=now,
            actor=by,
            message=f"{who} 导出案卷（立卷归档）：{files} 个文件"
            + (f"（{'、'.join(filed)}）" if filed else ""),
            data={"archive": True, "files": files, "bytes": len(content)},
        )
    return content, files
