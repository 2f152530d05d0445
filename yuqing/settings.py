"""The one settings object. Where values come from, lowest to highest precedence:

1. the defaults written here;
2. the TOML file: `yuqing.toml` in the working directory, or the path in `YUQING_CONFIG`;
3. environment variables `YUQING_<SECTION>__<FIELD>` (e.g. `YUQING_GENERAL__TIMEZONE`).

Secrets (database password, channel URLs with tokens, signing keys) never come from the TOML
file: they come from a secrets file (the path in `YUQING_SECRETS_FILE`, else `secrets.toml`
beside the settings file; keep it out of version control) and, above it, from
`YUQING_SECRETS__<FIELD>` environment variables, e.g.
`YUQING_SECRETS__CHANNELS__ZHANG_WECOM=wecombot://KEY`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator as _model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ROLES = (
    "monitor",
    "office_staff",
    "office_head",
    "leader_in_charge",
    "principal_leader",
    "group_head",
    "duty_officer",
    "unit_responsible",
    "unit_liaison",
    "approver",
    "operator",
)
Role = Literal[
    "monitor",
    "office_staff",
    "office_head",
    "leader_in_charge",
    "principal_leader",
    "group_head",
    "duty_officer",
    "unit_responsible",
    "unit_liaison",
    "approver",
    "operator",
]
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CHANNEL_ID_PATTERN = r"^[a-z0-9][a-z0-9_]{0,63}$"  # env-var friendly: no dashes


class SettingsError(Exception):
    """A settings file or environment that cannot be used; `problems` names every field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class General(Section):
    timezone: str = Field("Asia/Shanghai", description="IANA zone for due times and messages.")
    language: Literal["zh", "en"] = Field("zh", description="Language of messages.")
    data_dir: Path = Field(Path("data"), description="Where the SQLite database lives.")
    closing_time: time | None = Field(None, description="Office closing time for working days.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Database(Section):
    url: str | None = Field(
        None, description="SQLAlchemy URL without a password; default: SQLite in data_dir."
    )

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value and "@" in value and ":" in value.split("@", 1)[0].split("//", 1)[-1]:
            raise ValueError("contains a password: set YUQING_SECRETS__DATABASE_URL instead")
        return value


class Policy(Section):
    preset: str = Field("default", description="Id of a shipped policy preset.")
    file: Path | None = Field(None, description="A policy TOML file; overrides `preset`.")


def _gap_roles() -> list[Role]:
    return ["operator", "duty_officer"]


class SensitivePeriod(Section):
    name: str = Field(min_length=1, description="E.g. 两会, 高考, 国庆.")
    start: date = Field(description="First day (local date, general.timezone).")
    end: date = Field(description="Last day, inclusive.")

    @_model_validator(mode="after")
    def _ordered(self) -> SensitivePeriod:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Collect(Section):
    interval_seconds: int = Field(300, ge=10, description="How often scheduled collection runs.")
    timeout_seconds: float = Field(20.0, gt=0, le=300, description="Per-request HTTP timeout.")
    max_bytes: int = Field(10_000_000, gt=0, description="Largest feed body accepted.")
    sensitive_interval_seconds: int = Field(
        60, ge=10, description="Source interval during a sensitive period (unless the source's)."
    )
    sensitive_periods: list[SensitivePeriod] = Field(
        default_factory=list, description="Heightened monitoring: faster intervals (§6.4)."
    )
    concurrency: int = Field(4, ge=1, le=64, description="Sources fetched at the same time.")
    batch_size: int = Field(5000, ge=100, le=50_000, description="Items stored per batch task.")
    similarity: float = Field(
        0.5, gt=0, le=1, description="Near-duplicate threshold (estimated Jaccard of bigrams)."
    )
    cluster_window_hours: float = Field(
        72, gt=0, description="An item joins the case of a similar item seen this recently."
    )
    gap_runs: int = Field(3, ge=1, le=100, description="Failed or silent runs before 监测盲区.")
    gap_alert_roles: list[Role] = Field(
        default_factory=lambda: _gap_roles(),
        description="Who is told of a monitoring gap.",
    )
    task_retries: int = Field(2, ge=0, le=10, description="Prefect retries of a source fetch.")
    task_retry_delay_seconds: float = Field(30, ge=0, description="Wait between those retries.")


class Sweep(Section):
    interval_seconds: int = Field(30, ge=1, le=60, description="Backstop sweep interval.")
    batch_size: int = Field(200, ge=1, le=10_000, description="Deadlines claimed per batch.")


class QuietHoursConfig(Section):
    start: time = Field(time(22, 0), description="Local time the quiet window starts.")
    end: time = Field(time(7, 0), description="Local time it ends (may be the next morning).")
    grades: list[str] = Field(
        default_factory=lambda: ["三级"],
        description="Grades (label or id) whose alerts wait; 一级 and 二级 are never held.",
    )

    @field_validator("grades")
    @classmethod
    def _never_urgent(cls, value: list[str]) -> list[str]:
        urgent = [g for g in value if g in ("一级", "二级", "g1", "g2")]
        if urgent:
            raise ValueError(f"{', '.join(urgent)} may never be held in quiet hours")
        return value


class ShiftConfig(Section):
    person: str = Field(description="Person id on duty.")
    role: Role = Field("duty_officer", description="The role the shift covers.")
    start: datetime = Field(description="Shift start; without a zone, general.timezone.")
    end: datetime = Field(description="Shift end (exclusive).")

    @_model_validator(mode="after")
    def _ordered(self) -> ShiftConfig:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Escalation(Section):
    quiet_hours: QuietHoursConfig | None = Field(None, description="Off unless configured.")
    dual_reporting_grades: list[str] = Field(
        default_factory=list, description="Grades whose lapses also go up the second chain."
    )
    second_chain: list[list[Role]] = Field(
        default_factory=list,
        description="Roles of the second reporting line (双重报告), one list per chain level.",
    )
    roster: list[ShiftConfig] = Field(default_factory=list, description="The duty roster.")


class Dispatch(Section):
    attempts_per_channel: int = Field(3, ge=1, le=20, description="Rounds before fall-over.")
    retry_base_seconds: float = Field(2.0, gt=0, description="First wait between rounds.")
    retry_cap_seconds: float = Field(300.0, gt=0, description="Longest wait between rounds.")
    batch_max: int = Field(20, ge=1, le=200, description="Alerts merged into one message.")
    per_recipient_per_minute: int = Field(
        30, ge=1, description="Messages per person and channel per minute; more are merged."
    )
    sending_lease_seconds: float = Field(
        120.0, gt=0, description="A row left `sending` this long (a crash) is sent again."
    )
    wake_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="How often the serve process looks for new due times."
    )


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
    max_bytes: int | None = Field(None, gt=0, description="Default: collect's.")
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


class PersonConfig(Section):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    unit: str | None = None
    roles: list[Role] = Field(min_length=1)
    channels: list[str] = Field(default_factory=list, description="Channel ids, by preference.")
    deputy: str | None = None


class Secrets(Section):
    database_url: SecretStr | None = None
    channels: dict[str, SecretStr] = Field(default_factory=dict, description="id → Apprise URL")
    intake_token: SecretStr | None = Field(
        None, description="Bearer token of the intake endpoint; it refuses everything without."
    )

    @field_validator("intake_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("intake_token must be at least 16 characters")
        return value

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        import re

        for key in value:
            if not re.match(CHANNEL_ID_PATTERN, key):
                raise ValueError(f"channel id {key!r} must match {CHANNEL_ID_PATTERN}")
        return value


class Settings(BaseSettings):
    """Everything yuqing is configured with. Build it with `load_settings`, not directly."""

    model_config = SettingsConfigDict(
        env_prefix="YUQING_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    general: General = General()
    database: Database = Database()
    policy: Policy = Policy()
    collect: Collect = Collect()
    sweep: Sweep = Sweep()
    sources: list[SourceConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)
    units: list[UnitConfig] = Field(default_factory=list)
    people: list[PersonConfig] = Field(default_factory=list)
    escalation: Escalation = Escalation()
    dispatch: Dispatch = Dispatch()
    secrets: Secrets = Secrets()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first (highest), then what load_settings read from the files.
        return (env_settings, init_settings)

    @_model_validator(mode="after")
    def _references_exist(self) -> Settings:
        problems = list(_reference_problems(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @_model_validator(mode="after")
    def _roster_people_exist(self) -> Settings:
        people = {person.id for person in self.people}
        unknown = [
            f"escalation.roster.{n}.person: unknown person {shift.person!r}"
            for n, shift in enumerate(self.escalation.roster)
            if shift.person not in people
        ]
        if unknown:
            raise ValueError("; ".join(unknown))
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.general.timezone)

    def database_url(self) -> str:
        from models.db import sqlite_url

        if self.secrets.database_url is not None:
            return self.secrets.database_url.get_secret_value()
        return self.database.url or sqlite_url(self.general.data_dir)

    def channel_url(self, channel_id: str) -> str:
        return self.secrets.channels[channel_id].get_secret_value()


def _reference_problems(settings: Settings) -> list[str]:
    problems = []
    for kind, items in (
        ("sources", settings.sources),
        ("topics", settings.topics),
        ("units", settings.units),
        ("people", settings.people),
    ):
        ids = [item.id for item in items]
        problems += [
            f"{kind}: duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})
        ]
    unit_ids = {unit.id for unit in settings.units}
    person_ids = {person.id for person in settings.people}
    for n, unit in enumerate(settings.units):
        if unit.parent is not None and unit.parent not in unit_ids:
            problems.append(f"units.{n}.parent: unknown unit {unit.parent!r}")
    for n, person in enumerate(settings.people):
        if person.unit is not None and person.unit not in unit_ids:
            problems.append(f"people.{n}.unit: unknown unit {person.unit!r}")
        if person.deputy is not None and person.deputy not in person_ids:
            problems.append(f"people.{n}.deputy: unknown person {person.deputy!r}")
        for c, channel in enumerate(person.channels):
            if channel not in settings.secrets.channels:
                problems.append(
                    f"people.{n}.channels.{c}: channel {channel!r} has no URL; set "
                    f"YUQING_SECRETS__CHANNELS__{channel.upper()} or put it in the secrets file"
                )
    return problems


def config_path(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The settings file to read: the explicit path, else $YUQING_CONFIG, else ./yuqing.toml."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    return Path(env.get("YUQING_CONFIG", "yuqing.toml"))


def load_settings(path: Path | None = None, *, require_file: bool = False) -> Settings:
    """Read the TOML file, the secrets file and the environment into one validated Settings.

    A missing default file means "defaults only"; a missing explicit file is an error. Every
    problem is collected into one SettingsError, each naming the field path and the reason.
    """
    file = config_path(path)
    explicit = path is not None or "YUQING_CONFIG" in os.environ or require_file
    data = _read_toml(file, required=explicit, what="settings file")
    if "secrets" in data:
        raise SettingsError(
            [
                f"{file}: [secrets] may not be in the settings file; use "
                "YUQING_SECRETS_FILE or YUQING_SECRETS__* environment variables"
            ]
        )
    secrets_file = os.environ.get("YUQING_SECRETS_FILE")
    if secrets_file:
        data["secrets"] = _read_toml(Path(secrets_file), required=True, what="secrets file")
    elif (file.parent / "secrets.toml").is_file():
        data["secrets"] = _read_toml(
            file.parent / "secrets.toml", required=True, what="secrets file"
        )
    _resolve_relative_paths(data, base=file.parent)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, file)) from None


def _read_toml(file: Path, *, required: bool, what: str) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if required:
            raise SettingsError([f"{file}: {what} not found"]) from None
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([f"{file}: not valid TOML: {exc}"]) from None


def _resolve_relative_paths(data: dict[str, Any], *, base: Path) -> None:
    # Paths in a settings file are relative to the file, not to wherever the command runs.
    for section, key in (("general", "data_dir"), ("policy", "file")):
        value = data.get(section, {}).get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            data[section][key] = str(base / value)


def _describe(exc: ValidationError, file: Path) -> list[str]:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{file}: {where}: {message}")
    return problems
