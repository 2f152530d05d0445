"""The Settings object and how it is loaded: TOML file, secrets file and environment, with the
precedence in the package docstring, and every problem named by its field path."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError
from pydantic import model_validator as _model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from settings.base import SettingsError
from settings.calendar import Calendar
from settings.organisation import (
    PersonConfig,
    Secrets,
    SourceConfig,
    TopicConfig,
    UnitConfig,
)
from settings.reports import Reports
from settings.risks import RiskPointConfig
from settings.sections import (
    Collect,
    Database,
    Dispatch,
    Escalation,
    General,
    Policy,
    Sweep,
)
from settings.serving import Cli, Serve, Web


class Settings(BaseSettings):
    """Everything yuqing is configured with. Build it with `load_settings`, not directly."""

    model_config = SettingsConfigDict(
        env_prefix="YUQING_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    general: General = General()
    database: Database = Database()
    policy: Policy = Policy()
    calendar: Calendar = Calendar()
    collect: Collect = Collect()
    sweep: Sweep = Sweep()
    sources: list[SourceConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)
    units: list[UnitConfig] = Field(default_factory=list)
    people: list[PersonConfig] = Field(default_factory=list)
    risk_points: list[RiskPointConfig] = Field(default_factory=list)
    escalation: Escalation = Escalation()
    dispatch: Dispatch = Dispatch()
    web: Web = Web()
    cli: Cli = Cli()
    serve: Serve = Serve()
    reports: Reports = Reports()
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
        """The secret URL, else the configured one, else SQLite `yuqing.db` in the data dir."""
        if self.secrets.database_url is not None:
            return self.secrets.database_url.get_secret_value()
        return self.database.url or f"sqlite:///{(self.general.data_dir / 'yuqing.db').resolve()}"

    def channel_url(self, channel_id: str) -> str:
        return self.secrets.channels[channel_id].get_secret_value()


def _reference_problems(settings: Settings) -> list[str]:
    """Every id named twice and every reference to something not configured."""
    person_ids = {person.id for person in settings.people}
    unit_ids = {unit.id for unit in settings.units}
    return (
        _duplicate_ids(settings)
        + _directory_problems(settings, unit_ids, person_ids)
        + _risk_point_problems(settings, unit_ids)
        + _operator_problems(settings, person_ids)
    )


def _duplicate_ids(settings: Settings) -> list[str]:
    problems = []
    for kind, items in (
        ("sources", settings.sources),
        ("topics", settings.topics),
        ("units", settings.units),
        ("people", settings.people),
        ("risk_points", settings.risk_points),
    ):
        ids = [item.id for item in items]
        problems += [
            f"{kind}: duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})
        ]
    return problems


def _directory_problems(settings: Settings, unit_ids: set[str], person_ids: set[str]) -> list[str]:
    """Units' parents, people's units, deputies and channels."""
    problems = []
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


def _operator_problems(settings: Settings, person_ids: set[str]) -> list[str]:
    """The people and channels the reports, dispatch limits, console and CLI name."""
    problems = []
    filler = settings.reports.filled_by
    if filler is not None and filler not in person_ids:
        problems.append(f"reports.filled_by: unknown person {filler!r}")
    for channel in settings.dispatch.limits:
        if channel not in settings.secrets.channels:
            problems.append(f"dispatch.limits.{channel}: no channel {channel!r} in the secrets")
    for n, user in enumerate(settings.web.users):
        if user.person not in person_ids:
            problems.append(f"web.users.{n}.person: unknown person {user.person!r}")
    if settings.cli.operator is not None and settings.cli.operator not in person_ids:
        problems.append(f"cli.operator: unknown person {settings.cli.operator!r}")
    return problems


def _risk_point_problems(settings: Settings, unit_ids: set[str]) -> list[str]:
    topic_ids = {topic.id for topic in settings.topics}
    problems = []
    for n, risk in enumerate(settings.risk_points):
        for field, known, what in (
            ("lead_units", unit_ids, "unit"),
            ("units", unit_ids, "unit"),
            ("topics", topic_ids, "topic"),
        ):
            problems += [
                f"risk_points.{n}.{field}: unknown {what} {value!r}"
                for value in getattr(risk, field)
                if value not in known
            ]
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
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:
        # A value no validator expected (a validator's own bug): still a named problem, no trace.
        problem = f"{file}: cannot be used: {type(exc).__name__}: {exc}"
        raise SettingsError([problem[:300]]) from None


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
    except UnicodeDecodeError as exc:
        raise SettingsError([f"{file}: not UTF-8 (byte {exc.start}); save it as UTF-8"]) from None
    except RecursionError:
        raise SettingsError([f"{file}: nested too deeply to read"]) from None
    except OSError as exc:  # a folder, no permission, a name too long...
        raise SettingsError([f"{file}: cannot read the {what}: {exc.strerror or exc}"]) from None


def _resolve_relative_paths(data: dict[str, Any], *, base: Path) -> None:
    # Paths in a settings file are relative to the file, not to wherever the command runs.
    for section, key in (("general", "data_dir"), ("policy", "file"), ("calendar", "file")):
        table = data.get(section)
        if not isinstance(table, dict):  # missing, or not a table: validation names it
            continue
        value = table.get(key)
        if isinstance(value, str) and "\x00" not in value and not Path(value).is_absolute():
            table[key] = str(base / value)


def _describe(exc: ValidationError, file: Path) -> list[str]:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{file}: {where}: {message}")
    return problems
