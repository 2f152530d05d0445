"""The intake endpoint: referrals (the cyberspace office), hotline and petition systems push
items here. `POST /intake/{source_id}` with `Authorization: Bearer <secrets.intake_token>` and a
JSON record; the sender's `external_id` makes it idempotent (a repeat returns the stored item,
200 instead of 201), and a new id about a page already stored attaches to that page's item
(`models.repo.intake.receive_record`).

It never answers 500 to what a sender sends. In order: the token is checked before the body is
read (401); the source must be an intake source (404); the body must be JSON (415) of at most
`web.intake_max_bytes` bytes, counted as it arrives (413); it must be UTF-8 JSON without NaN or
Infinity (422), an object whose every field is within bounds (422, naming the field). Refusals
do not echo the input back and change nothing."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from models.parse.entries import EARLIEST, LATEST, MAX_COUNT, FeedItem
from models.parse.text import plain_text
from models.parse.urls import link_problem
from models.repo.intake import Intake, IntakeContext, receive_record
from models.store.db import session_scope
from tasks.runtime import Runtime, prepare

router = APIRouter(prefix="/intake", tags=["intake"])
ATTEMPTS = 3  # a concurrent push of the same id loses the race on a unique key: look again


def _storable(value: str) -> str:
    if any((ord(c) < 0x20 and c not in "\t\n\r") or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("含有无法保存的字符（控制字符或代理项）")
    return value


def _one_line(value: str) -> str:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("须是一行，不含控制字符（换行、制表符等）")
    return value


def _plain(value: str) -> str:
    if not plain_text(value):
        raise ValueError("去掉标记和空白后为空")
    return value


def _page(value: str | None) -> str | None:
    if value is None:
        return None
    problem = link_problem(value)
    if problem is None and value.startswith("urn:"):
        problem = "链接不是 http(s) 地址"
    if problem is not None:
        raise ValueError(problem)
    return value


def _in_range(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError("时间须在 1970 年至 2099 年之间")
    return value


Text = Annotated[str, AfterValidator(_storable)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class IntakeRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    external_id: Annotated[Text, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
    title: Annotated[Text, Field(min_length=1, max_length=1000), AfterValidator(_plain)]
    text: Annotated[Text, Field(max_length=100_000)] = ""
    url: Annotated[Text | None, Field(max_length=2048), AfterValidator(_page)] = None
    published_at: Annotated[datetime | None, AfterValidator(_in_range)] = None  # 网民发帖
    occurred_at: Annotated[datetime | None, AfterValidator(_in_range)] = None  # 事件发生
    author: Annotated[Text | None, Field(max_length=200)] = None
    site: Annotated[Text, Field(max_length=200)] = ""
    clicks: Count = 0
    comments: Count = 0
    reposts: Count = 0
    media_level: (
        Literal["central", "national_portal", "provincial", "city", "local", "none"] | None
    ) = None


class IntakeResult(BaseModel):
    item_id: int
    case_id: int | None
    created: bool  # the first push of this external id
    new_item: bool  # its page was new to us


class Refused(Exception):
    """A request refused with a 4xx and a body that says why (never the input)."""

    def __init__(self, status_code: int, detail: str | list[dict[str, Any]]) -> None:
        self.status_code, self.detail = status_code, detail


def runtime(request: Request) -> Runtime:
    return prepare(request.app.state.config)


def authorised(
    rt: Annotated[Runtime, Depends(runtime)],
    authorization: Annotated[str | None, Header()] = None,
) -> Runtime:
    """Refuse unless the bearer token is the configured one (compared in constant time)."""
    token = rt.settings.secrets.intake_token
    given = (authorization or "").removeprefix("Bearer ").strip()
    if token is None or not hmac.compare_digest(
        given.encode("utf-8", "replace"), token.get_secret_value().encode()
    ):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or missing intake token")
    return rt


@router.post("/{source_id}")
async def intake(
    source_id: str, request: Request, rt: Annotated[Runtime, Depends(authorised)]
) -> JSONResponse:
    source = next((s for s in rt.settings.sources if s.id == source_id), None)
    if source is None or source.kind != "intake":
        return _refusal(Refused(status.HTTP_404_NOT_FOUND, "no such intake source"))
    try:
        raw = await _read_body(request, rt.settings.web.intake_max_bytes)
        record = _record(raw)
    except Refused as refused:
        return _refusal(refused)
    stored = await run_in_threadpool(_store, rt, source_id, source.media_level, record, request)
    code = status.HTTP_201_CREATED if stored.created else status.HTTP_200_OK
    result = IntakeResult(
        item_id=stored.item_id,
        case_id=stored.case_id,
        created=stored.created,
        new_item=stored.new_item,
    )
    return JSONResponse(result.model_dump(), status_code=code)


async def _read_body(request: Request, limit: int) -> bytes:
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind != "application/json" and not kind.endswith("+json"):
        raise Refused(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be JSON")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"body over {limit} bytes")
    return bytes(body)


def _record(raw: bytes) -> IntakeRecord:
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise Refused(422, [_problem(["body"], "请求体不是 UTF-8 编码", "unicode")]) from None
    except (ValueError, RecursionError):  # JSONDecodeError, NaN/Infinity, nesting too deep
        raise Refused(422, [_problem(["body"], "请求体不是有效的 JSON", "json")]) from None
    if not isinstance(document, dict):
        raise Refused(422, [_problem(["body"], "请求体须是一个 JSON 对象", "type")])
    try:
        return IntakeRecord.model_validate(document)
    except ValidationError as exc:
        problems = [_problem(["body", *e["loc"]], e["msg"], e["type"]) for e in exc.errors()]
        raise Refused(422, problems) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _problem(loc: list[Any], message: str, kind: str) -> dict[str, Any]:
    """One refused field: where and why, never the value sent (a field name is cut short)."""
    where = [part if isinstance(part, int) else str(part)[:64] for part in loc]
    return {"loc": where, "msg": message.removeprefix("Value error, "), "type": kind}


def _refusal(refused: Refused) -> JSONResponse:
    return JSONResponse({"detail": refused.detail}, status_code=refused.status_code)


def _utc(moment: datetime, rt: Runtime) -> datetime:
    """A sent time as aware UTC; one without a zone is the office's local time."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=rt.settings.tz)
    return aware.astimezone(UTC)


def _store(
    rt: Runtime, source_id: str, media_level: str, record: IntakeRecord, request: Request
) -> Intake:
    published, occurred = (
        None if moment is None else _utc(moment, rt)
        for moment in (record.published_at, record.occurred_at)
    )
    item = FeedItem(
        url=record.url or f"urn:yuqing:{source_id}:{record.external_id}",
        title=plain_text(record.title),
        summary=plain_text(record.text),
        published_at=published,
        occurred_at=occurred,
        clicks=record.clicks,
        comments=record.comments,
        reposts=record.reposts,
        author=record.author,
        site=record.site,
        media_level=record.media_level,
        external_id=record.external_id,
    )
    collect = rt.settings.collect
    ctx = IntakeContext(
        source_id=source_id,
        topics=rt.topics,
        policy=rt.policy,
        calendar=rt.calendar,
        now=request.app.state.now(),
        media_level=media_level,
        similarity=collect.similarity,
        window=timedelta(hours=collect.cluster_window_hours),
    )
    for attempt in range(ATTEMPTS):
        try:
            with session_scope(rt.engine) as session:
                return receive_record(session, item=item, ctx=ctx)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
