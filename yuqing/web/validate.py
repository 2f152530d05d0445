"""What the web app takes from URLs and forms, checked before anything reads the database: ids
in paths within the integer columns' range, years, text without NUL (PostgreSQL cannot store
it); the form itself read once, a field given several times joined. A value that cannot be used
raises `Invalid`, which `yuqing.web.errors` turns into a 4xx page naming the field (never a 500,
and never the whole input echoed back)."""

from __future__ import annotations

import re

from fastapi import Request

from models.policy.forms import FieldRefused, parse_id

PATH_IDS = {  # path parameters that number a record, with their labels
    "case_id": "案件编号",
    "record_id": "问责记录编号",
    "report_id": "报告编号",
}
_YEAR = re.compile(r"[0-9]{4}")
YEARS = (1970, 2100)


class Invalid(Exception):
    """A value from a URL or form that cannot be used; the message (Chinese) names the field."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def valid_path_ids(request: Request) -> None:
    """A router dependency: every record number in the path is 1 to MAX_ID, else 400."""
    for name, label in PATH_IDS.items():
        raw = request.path_params.get(name)
        if raw is None:
            continue
        try:
            parse_id(str(raw), name=name, label=label)
        except FieldRefused as exc:
            raise Invalid(str(exc), status=400) from None


def plain(value: str, *, name: str, label: str) -> str:
    """Text the databases can store: NUL is refused naming the field."""
    if "\x00" in value:
        raise Invalid(f"字段 {name[:40]}（{label}）含有不允许的空字符（NUL）")
    return value


def year(value: str, *, name: str = "year", label: str = "年份") -> int | None:
    """A four-digit year in a sane range; empty: none."""
    raw = value.strip()
    if not raw:
        return None
    if not _YEAR.fullmatch(raw) or not YEARS[0] <= int(raw) <= YEARS[1]:
        first, last = YEARS
        raise Invalid(f"字段 {name}（{label}）须是 {first} 到 {last} 之间的年份：{raw[:10]!r}")
    return int(raw)


async def read_form(request: Request, *, strict: bool = True) -> dict[str, str]:
    """The posted form's fields (a field given several times, such as the responsible units, is
    joined with commas); with `strict`, a value or name with NUL is refused naming it."""
    data = await request.form()
    form = {key: ",".join(v for v in data.getlist(key) if isinstance(v, str)) for key in data}
    if strict:
        for key, value in form.items():
            plain(key + value, name=key.replace("\x00", "?"), label="表单字段")
    return form
