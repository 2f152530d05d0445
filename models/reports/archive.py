"""A case's file (立卷归档, F22; S2-4.3: 原始材料、办理、交办和回复记录、领导批示; S1-20; S1-5
有案可查) as one zip: the case's facts, then each record as CSV (UTF-8 with a BOM, Excel reads
it) and JSON — timeline, items, deadlines, approvals, referrals, accountability evidence,
deliveries — and the documents issued (the quick reports' .docx), with a manifest giving every
file's SHA-256 (`manifest.json`, and `SHA256SUMS` that `sha256sum -c` checks). Pure: bytes in,
bytes out; standard library only."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ArchiveCell = str | int | float | bool | None


@dataclass(frozen=True)
class ArchiveTable:
    key: str  # the file name: timeline → timeline.csv, timeline.json
    name: str  # what it is, in Chinese (the manifest says)
    headers: tuple[str, ...]
    rows: Sequence[tuple[ArchiveCell, ...]]


@dataclass(frozen=True)
class CaseArchive:
    case_id: int
    title: str
    facts: dict[str, Any]
    tables: tuple[ArchiveTable, ...]
    documents: tuple[tuple[str, str, bytes], ...] = field(default=())  # (file name, what, bytes)


def _csv(table: ArchiveTable) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(table.headers)
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _files(archive: CaseArchive) -> list[tuple[str, str, bytes]]:
    files = [("case.json", "案件基本情况", _json(archive.facts))]
    for table in archive.tables:
        records = [dict(zip(table.headers, row, strict=True)) for row in table.rows]
        files.append((f"{table.key}.csv", table.name, _csv(table)))
        files.append((f"{table.key}.json", table.name, _json(records)))
    files += [(f"documents/{name}", what, content) for name, what, content in archive.documents]
    return files


def pack(archive: CaseArchive, *, generated_at: datetime, generated_by: str) -> bytes:
    """The zip: every file under `case-ID/`, then the manifest of their SHA-256 hashes."""
    root = f"case-{archive.case_id}"
    files = _files(archive)
    listed = [
        {"path": path, "what": what, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for path, what, data in files
    ]
    manifest = {
        "case_id": archive.case_id,
        "title": archive.title,
        "generated_at": generated_at.isoformat(),
        "generated_by": generated_by,
        "files": listed,
    }
    sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in listed).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path, _, data in [
            *files,
            ("manifest.json", "", _json(manifest)),
            ("SHA256SUMS", "", sums),
        ]:
            entry = zipfile.ZipInfo(f"{root}/{path}", date_time=generated_at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, data)
    return out.getvalue()
