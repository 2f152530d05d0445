"""The settings about what an office watches and who it is: sources (and JSON field
mappings), topics, units, people, and the secrets (never from the settings file)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic import model_validator as _model_validator

from settings.base import CHANNEL_ID_PATTERN, ID_PATTERN, Role, Section
from settings.sections import database_url_problem

PERSON_IDS = {
    "mobile": (
        r"(\+86)?1[3-9][0-9]{9}|\+[1-9][0-9]{6,14}",
        "不是手机号（11 位 1 开头，或 +国家码）",
    ),
    "wecom_userid": (
        r"[A-Za-z0-9_.@-]{1,64}",
        "不是企业微信 userid（字母、数字、_.@-，至多 64 位）",
    ),
    "dingtalk_userid": (r"[A-Za-z0-9_$-]{1,64}", "不是钉钉 userId（字母、数字、_$-，至多 64 位）"),
    "feishu_open_id": (r"ou_[A-Za-z0-9]{8,64}", "不是飞书 open_id（ou_ 开头）"),
}
MediaLevelName = Literal["central", "national_portal", "provincial", "city", "local", "none"]


class JsonMapping(Section):
    """Where each field of an item is in a JSON API's records (dotted paths; empty: absent)."""

    items: str = Field("", description="Path to the list of records; empty: the body is it.")
    external_id: str = "id"
    title: str = "title"
    text: str = "text"
    url: str = "url"
    time: str = "time"
    author: str = "author"
    clicks: str = "clicks"
    comments: str = "comments"
    reposts: str = "reposts"
    site: str = "site"
    media_level: str = "media_level"


class SourceConfig(Section):
    id: str = Field(pattern=ID_PATTERN)
    kind: Literal["rss", "json", "intake"] = Field(
        "rss", description="rss (RSS/Atom), json (HTTP API + mapping), intake (pushed to us)."
    )
    name: str = Field(min_length=1)
    url: str = Field("", description="Feed or API URL (rss, json); empty for intake.")
    interval_seconds: int | None = Field(None, ge=10, description="Default: collect's.")
    sensitive_interval_seconds: int | None = Field(None, ge=10, description="Default: collect's.")
    timeout_seconds: float | None = Field(None, gt=0, le=300, description="Default: collect's.")
    max_bytes: int | None = Field(None, gt=0, le=500_000_000, description="Default: collect's.")
    encoding: str | None = Field(None, description="Charset to use whatever the body declares.")
    media_level: MediaLevelName = Field("local", description="Media level of its items.")
    mapping: JsonMapping = Field(default_factory=JsonMapping, description="json sources only.")

    @_model_validator(mode="after")
    def _url_for_fetched_kinds(self) -> SourceConfig:
        if self.kind != "intake" and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url: a {self.kind} source needs an http(s) URL")
        if self.encoding is not None:
            import codecs

            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(f"encoding: unknown charset {self.encoding!r}") from None
        return self


class TopicConfig(Section):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    include_any: list[str] = Field(default_factory=list, description="Any one of these.")
    include_all: list[str] = Field(default_factory=list, description="Every one of these.")
    exclude: list[str] = Field(default_factory=list)
    category: Literal["inquiry", "hype", "rumour", "suggestion", "corruption"] = "inquiry"
    grade_hint: str | None = Field(None, description="Lowest grade for matches (e.g. 二级).")

    @_model_validator(mode="after")
    def _has_terms(self) -> TopicConfig:
        if not (self.include_any or self.include_all):
            raise ValueError("include_any or include_all must list at least one term")
        return self


class UnitConfig(Section):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    parent: str | None = None
    external: bool = Field(
        False, description="An outside body (宣传部, 网信办…), reached through its people's roles."
    )


class PersonConfig(Section):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    unit: str | None = None
    roles: list[Role] = Field(min_length=1)
    channels: list[str] = Field(default_factory=list, description="Channel ids, by preference.")
    deputy: str | None = None
    mobile: str | None = Field(
        None, description="Mobile number: SMS goes to it; WeCom/DingTalk groups @mention by it."
    )
    wecom_userid: str | None = Field(None, description="WeCom user id (@ in markdown).")
    dingtalk_userid: str | None = Field(None, description="DingTalk user id (atUserIds).")
    feishu_open_id: str | None = Field(None, description="Feishu/Lark open_id (ou_…).")

    @field_validator("mobile", "wecom_userid", "dingtalk_userid", "feishu_open_id")
    @classmethod
    def _platform_ids(cls, value: str | None, info: ValidationInfo) -> str | None:
        import re

        rule, what = PERSON_IDS[str(info.field_name)]
        if value is not None and not re.fullmatch(rule, value):
            raise ValueError(what)
        return value


class Secrets(Section):
    database_url: SecretStr | None = None
    channels: dict[str, SecretStr] = Field(default_factory=dict, description="id → Apprise URL")
    intake_token: SecretStr | None = Field(
        None, description="Bearer token of the intake endpoint; it refuses everything without."
    )
    link_key: SecretStr | None = Field(
        None, description="Signs the one-click action links; unset: alerts carry no links."
    )
    session_key: SecretStr | None = Field(
        None, description="Signs console sign-ins; unset: derived from link_key."
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and (problem := database_url_problem(value.get_secret_value())):
            raise ValueError(problem)
        return value

    @field_validator("intake_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("intake_token must be at least 16 characters")
        return value

    @field_validator("link_key", "session_key")
    @classmethod
    def _strong_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        import re

        for key in value:
            if not re.match(CHANNEL_ID_PATTERN, key):
                raise ValueError(f"channel id {key!r} must match {CHANNEL_ID_PATTERN}")
        return value
