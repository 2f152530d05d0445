"""The settings sections about how yuqing runs: time zone and language, database, policy,
collection, sweep, quiet hours, the duty roster, escalation and dispatch."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic import model_validator as _model_validator

from settings.base import Role, Section, Span

DATABASE_URL = re.compile(r"^(sqlite|postgresql|postgres)(\+[a-z0-9_]+)?://", re.IGNORECASE)


def _no_nul(value: Path | None) -> Path | None:
    if value is not None and "\x00" in str(value):
        raise ValueError("a path may not contain a NUL character")
    return value


class General(Section):
    timezone: str = Field("Asia/Shanghai", description="IANA zone for due times and messages.")
    language: Literal["zh", "en"] = Field("zh", description="Language of messages.")
    data_dir: Path = Field(Path("data"), description="Where the SQLite database lives.")
    horizon_days: int = Field(
        366, ge=1, le=3660, description="How far from now a deadline or an extension may be set."
    )
    closing_time: time | None = Field(None, description="Office closing time for working days.")

    _paths = field_validator("data_dir")(_no_nul)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, a long name
            raise ValueError(f"unknown time zone {value[:64]!r}") from None
        return value


def database_url_problem(value: str) -> str | None:
    """Why `value` cannot be yuqing's database URL (never repeating it), or None."""
    if not DATABASE_URL.match(value) or any(ord(char) < 0x20 for char in value):
        return "not a SQLite or PostgreSQL URL (sqlite:///path or postgresql://host/db)"
    return None


class Database(Section):
    url: str | None = Field(
        None, description="SQLAlchemy URL without a password; default: SQLite in data_dir."
    )

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "@" in value and ":" in value.split("@", 1)[0].split("//", 1)[-1]:
            raise ValueError("contains a password: set YUQING_SECRETS__DATABASE_URL instead")
        if (problem := database_url_problem(value)) is not None:
            raise ValueError(problem)
        return value


class Policy(Section):
    preset: str = Field("default", description="Id of a shipped policy preset.")
    file: Path | None = Field(None, description="A policy TOML file; overrides `preset`.")
    overrides: dict[str, str | int] = Field(
        default_factory=dict,
        description='Numbers a plan left blank, by dotted path ("obligations.g1.x.duration").',
    )

    _paths = field_validator("file")(_no_nul)


def _unreachable_roles() -> list[Role]:
    return ["office_staff", "office_head", "duty_officer"]


def _gap_roles() -> list[Role]:
    return ["operator", "duty_officer"]


class SensitivePeriod(Section):
    name: str = Field(min_length=1, description="E.g. 两会, 高考, 国庆.")
    start: date = Field(description="First day (local date, general.timezone).")
    end: date = Field(description="Last day, inclusive.")
    blackout: bool = Field(
        False,
        description="A release blackout (S4): 回应发布 and messages to outside bodies need "
        "the release approvers' consent.",
    )

    @_model_validator(mode="after")
    def _ordered(self) -> SensitivePeriod:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Collect(Section):
    interval_seconds: int = Field(300, ge=10, description="How often scheduled collection runs.")
    timeout_seconds: float = Field(
        20.0, gt=0, le=300, description="One fetch attempt's deadline, connect to last byte."
    )
    max_bytes: int = Field(
        10_000_000, gt=0, le=500_000_000, description="Largest body accepted, after decompression."
    )
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
    fetch_attempts: int = Field(
        3, ge=1, le=10, description="Attempts of one fetch on transient faults (tenacity)."
    )
    fetch_budget_seconds: float = Field(
        60, gt=0, le=3600, description="Most one source's fetch may take, attempts and waits."
    )


class Sweep(Section):
    interval_seconds: int = Field(
        300,
        ge=1,
        le=3600,
        description="Backstop sweep interval: the wake-up loop alerts at the due time; this "
        "sweep only catches what it might miss, so it can be rare.",
    )
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
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("start and end must both have a time zone, or neither")
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


class EndpointLimit(Section):
    """A channel's endpoint limits (a bot key, an SMS account: shared by everyone using it),
    replacing its platform's defaults (WeCom and DingTalk 20 a minute, Feishu 100 a minute and
    5 a second). Unset fields: no limit of that span."""

    per_second: int | None = Field(None, ge=1, le=10_000, description="Messages a second.")
    per_minute: int | None = Field(None, ge=1, le=100_000, description="Messages a minute.")
    per_hour: int | None = Field(None, ge=1, le=1_000_000, description="Messages an hour.")


class Dispatch(Section):
    attempts_per_channel: int = Field(
        3, ge=1, le=20, description="Sends (of up to 3 HTTP attempts each) before fall-over."
    )
    retry_base_seconds: float = Field(2.0, gt=0, description="First wait between sends.")
    retry_cap_seconds: float = Field(300.0, gt=0, description="Longest wait between sends.")
    batch_max: int = Field(20, ge=1, le=200, description="Alerts merged into one message.")
    per_recipient_per_minute: int = Field(
        30, ge=1, description="Messages per person and channel per minute; more are merged."
    )
    sending_lease_seconds: float = Field(
        120.0, gt=0, description="A row still `sending` after this long is listed as stuck."
    )
    wake_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="How often the serve process looks for new due times."
    )
    workers: int = Field(
        8, ge=1, le=256, description="Sends in flight at once per dispatcher (one per person)."
    )
    processes: int = Field(
        1,
        ge=1,
        le=32,
        description="Dispatcher processes `yuqing serve` runs (PostgreSQL; SQLite has one writer"
        ", so one).",
    )
    poll_seconds: float = Field(
        0.05, gt=0, le=5, description="How often an idle dispatcher looks for due alerts."
    )
    heartbeat_seconds: float = Field(
        1.0, gt=0, le=30, description="How often a dispatcher says it is alive."
    )
    claimer_timeout_seconds: float = Field(
        5.0, gt=0, le=600, description="A dispatcher silent this long is gone: its rows are sent."
    )
    breaker_failures: int = Field(
        3, ge=1, le=100, description="Failed sends in a row that mark a channel down."
    )
    breaker_base_seconds: float = Field(
        10.0, gt=0, description="How long a channel stays down before a probe; doubles."
    )
    breaker_cap_seconds: float = Field(300.0, gt=0, description="Longest down period.")
    give_up_after: Span = Field(
        timedelta(hours=24),
        description="An alert every channel of whose person fails starts over on the first one"
        ' (waits doubling up to retry_cap_seconds) until delivered or this long ("24h", "90m").',
    )
    unreachable_roles: list[Role] = Field(
        default_factory=lambda: _unreachable_roles(),
        description="Who is told that a person cannot be reached on any channel.",
    )
    limits: dict[str, EndpointLimit] = Field(
        default_factory=dict,
        description="Per channel id: its endpoint's send limits, replacing the platform's.",
    )

    @_model_validator(mode="after")
    def _beats_within_timeout(self) -> Dispatch:
        if self.claimer_timeout_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("claimer_timeout_seconds must be at least twice heartbeat_seconds")
        if not timedelta(minutes=1) <= self.give_up_after <= timedelta(days=30):
            raise ValueError("give_up_after must be between 1 minute and 30 days")
        return self
