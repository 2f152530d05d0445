"""What flows, tasks and commands need at run time, built from the one settings object: the
engine, the policy, the working-day calendar and the topics. Built once per process and config
path; `prepare` also migrates the database and brings the stored organisation and sources in
step with the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine

from models.parse.topics import Topic
from models.policy import Policy, WorkCalendar
from models.policy.calendar import calendar_warnings
from models.policy.reach import holders_of, reach_report
from models.policy.schedule import Period
from models.repo.directory import sync_directory
from models.repo.sources import sync_sources
from models.store.calendar_file import load_calendar
from models.store.db import make_engine, session_scope, upgrade_database
from models.store.presets import load_policy_file, load_preset
from notifications.outbox.context import DeliveryContext, build_context
from settings import Settings, load_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    policy: Policy
    calendar: WorkCalendar
    topics: tuple[Topic, ...]

    @property
    def periods(self) -> tuple[Period, ...]:
        """The sensitive periods (`[[collect.sensitive_periods]]`), blackouts flagged."""
        return tuple(
            Period(p.name, p.start, p.end, p.blackout)
            for p in self.settings.collect.sensitive_periods
        )

    def channel_url(self, channel_id: str) -> str | None:
        secret = self.settings.secrets.channels.get(channel_id)
        return None if secret is None else secret.get_secret_value()


def context_for(runtime: Runtime) -> DeliveryContext:
    """What delivering notices needs beyond the tables (policy, routing, quiet hours, links)."""
    return build_context(runtime.settings, runtime.policy)


def reachable_holders(settings: Settings) -> dict[str, list[str]]:
    """Role → the people holding it who have a channel, rostered shifts included."""
    return holders_of(
        ((p.id, p.roles, bool(p.channels)) for p in settings.people),
        ((shift.person, shift.role) for shift in settings.escalation.roster),
    )


def reach_problems(settings: Settings, policy: Policy) -> tuple[list[str], list[str]]:
    """(errors, warnings): report targets and chain levels of the policy that reach nobody
    (the rules: `models.policy.reach`)."""
    return reach_report(policy, reachable_holders(settings))


def calendar_gaps(runtime: Runtime, now: datetime) -> list[str]:
    """The calendar's missing years operators must hear of at `now` (this year; from 1 December
    next year too)."""
    return calendar_warnings(runtime.calendar, now.astimezone(runtime.settings.tz).date())


def load_policy(settings: Settings) -> Policy:
    overrides = settings.policy.overrides
    if settings.policy.file is not None:
        return load_policy_file(settings.policy.file, overrides)
    return load_preset(settings.policy.preset, overrides)


def build_runtime(settings: Settings) -> Runtime:
    topics = tuple(
        Topic(
            id=t.id,
            include_any=tuple(t.include_any),
            include_all=tuple(t.include_all),
            exclude=tuple(t.exclude),
            category=t.category,
            grade_hint=t.grade_hint,
        )
        for t in settings.topics
    )
    return Runtime(
        settings=settings,
        engine=make_engine(settings.database_url()),
        policy=load_policy(settings),
        calendar=load_calendar(settings.calendar.file),
        topics=topics,
    )


@lru_cache(maxsize=8)
def _prepared(config: str | None) -> Runtime:
    runtime = build_runtime(load_settings(Path(config) if config else None))
    upgrade_database(runtime.settings.database_url())
    with session_scope(runtime.engine) as session:
        sync_directory(session, units=runtime.settings.units, people=runtime.settings.people)
        sync_sources(session, runtime.settings.sources)
    return runtime


def prepare(config: str | None = None) -> Runtime:
    """The migrated, synced runtime for a config path (None: $YUQING_CONFIG or ./yuqing.toml)."""
    return _prepared(config)
