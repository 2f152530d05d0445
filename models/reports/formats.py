"""The file formats a report is rendered in (`tasks.reports.render`), and what each is called on
the wire (the MIME type a download or an attachment carries). Standard library only."""

from __future__ import annotations

FORMATS = ("xlsx", "csv", "md", "json")  # what a periodic report or the ledger may be asked in
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "md": "text/markdown",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
