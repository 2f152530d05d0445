"""The intake endpoint: referrals (the cyberspace office), hotline and petition systems push
items here. `POST /intake/{source_id}` with `Authorization: Bearer <secrets.intake_token>` and a
JSON record; the sender's `external_id` makes it idempotent (a repeat returns the stored item,
200 instead of 201). The item then goes through the same dedup, clustering and grading as a
collected one."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from models.parse.entries import FeedItem
from models.policy.clocks import utc_now
from models.repo.intake import ingest_item
from models.store.db import session_scope
from tasks.runtime import Runtime, prepare

router = APIRouter(prefix="/intake", tags=["intake"])


class IntakeRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=200, description="The sender's own id.")
    title: str = Field(min_length=1, max_length=1000)
    text: str = ""
    url: str | None = Field(None, pattern=r"^https?://")
    published_at: datetime | None = None
    author: str | None = None
    site: str = ""
    clicks: int = Field(0, ge=0)
    comments: int = Field(0, ge=0)
    reposts: int = Field(0, ge=0)
    media_level: (
        Literal["central", "national_portal", "provincial", "city", "local", "none"] | None
    ) = None


class IntakeResult(BaseModel):
    item_id: int
    case_id: int | None
    created: bool


def runtime(request: Request) -> Runtime:
    return prepare(request.app.state.config)


def authorised(
    rt: Annotated[Runtime, Depends(runtime)],
    authorization: Annotated[str | None, Header()] = None,
) -> Runtime:
    """Refuse unless the bearer token is the configured one (compared in constant time)."""
    token = rt.settings.secrets.intake_token
    given = (authorization or "").removeprefix("Bearer ").strip()
    if token is None or not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or missing intake token")
    return rt


@router.post("/{source_id}", response_model=IntakeResult)
def intake(
    source_id: str,
    record: IntakeRecord,
    response: Response,
    rt: Annotated[Runtime, Depends(authorised)],
) -> IntakeResult:
    source = next((s for s in rt.settings.sources if s.id == source_id), None)
    if source is None or source.kind != "intake":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no intake source {source_id!r}")
    published = record.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=rt.settings.tz)  # the office's local time
    item = FeedItem(
        url=record.url or f"urn:yuqing:{source_id}:{record.external_id}",
        title=record.title,
        summary=record.text,
        published_at=published,
        clicks=record.clicks,
        comments=record.comments,
        reposts=record.reposts,
        author=record.author,
        site=record.site,
        media_level=record.media_level,
        external_id=record.external_id,
    )
    collect = rt.settings.collect
    with session_scope(rt.engine) as session:
        stored = ingest_item(
            session,
            source_id=source_id,
            item=item,
            topics=rt.topics,
            policy=rt.policy,
            calendar=rt.calendar,
            now=utc_now(),
            media_level=source.media_level,
            similarity=collect.similarity,
            window=timedelta(hours=collect.cluster_window_hours),
        )
    response.status_code = status.HTTP_201_CREATED if stored.created else status.HTTP_200_OK
    return IntakeResult(item_id=stored.item_id, case_id=stored.case_id, created=stored.created)
