"""What `yuqing config check` checks, in order, collecting every problem: the file loads (its
secrets file and the environment included) and every field is valid; the channels
(`yuqing.channel_check`: usable URLs shown masked, SMS people with a mobile, group members who
can be @mentioned, no bot under two ids, channels that never delivered); the active policy
loads; and it tells nobody never (`models.policy.reach`): each grade's report targets are held by
someone reachable, and every obligation reaches somebody at every chain level (an error at the
first level, a warning above it); the calendar file loads, and the calendar knows this year (and
from 1 December next year), else a warning; a console account's roles are its person's (a warning
otherwise: they could only narrow them). Any file at all gives a report, never an exception."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from models.policy import Policy, PolicyError, PolicyInvalid
from models.policy.calendar import calendar_warnings
from models.policy.roles import ROLE_LABELS
from models.store.calendar_file import load_calendar
from settings import Settings, SettingsError, load_settings
from tasks.runtime import load_policy, reach_problems
from yuqing.channel_check import channel_problems, never_delivered


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)  # any of these: exit 2
    warnings: list[str] = field(default_factory=list)
    summary: str = ""


def check_configuration(path: Path, *, now: datetime) -> Report:
    report = Report()
    try:
        settings = load_settings(path, require_file=True)
    except SettingsError as exc:
        report.problems = exc.problems
        return report
    errors, warnings = channel_problems(settings)
    report.problems += errors
    report.warnings += warnings + never_delivered(settings) + account_warnings(settings)
    _calendar(settings, report, now)
    policy = _policy(settings, report)
    if policy is not None:
        errors, warnings = reach_problems(settings, policy)
        report.problems += errors
        report.warnings += warnings
    report.summary = (
        f"{len(settings.sources)} 个来源，{len(settings.topics)} 个专题，"
        f"{len(settings.people)} 人，策略 {policy.id if policy else '（无法载入）'}"
    )
    return report


def _calendar(settings: Settings, report: Report, now: datetime) -> None:
    try:
        calendar = load_calendar(settings.calendar.file)
    except PolicyError as exc:
        report.problems.append(str(exc))
        return
    report.warnings += calendar_warnings(calendar, now.astimezone(settings.tz).date())


def account_warnings(settings: Settings) -> list[str]:
    """A console account's roles only narrow its person's: a role the person does not hold
    grants nothing there."""
    held = {p.id: (p.name, set(p.roles)) for p in settings.people}
    found = []
    for n, user in enumerate(settings.web.users):
        name, roles = held.get(user.person, (user.person, set()))
        for role in user.roles:
            if role not in roles:
                found.append(
                    f"web.users.{n}.roles: {name} 不担任 {ROLE_LABELS.get(role, role)}（{role}），"
                    "账号的角色只能收窄本人的角色，此项不起作用"
                )
    return found


def _policy(settings: Settings, report: Report) -> Policy | None:
    try:
        return load_policy(settings)
    except PolicyInvalid as exc:
        report.problems += [f"policy: {problem}" for problem in exc.problems]
    except PolicyError as exc:
        report.problems.append(f"policy: {exc}")
    except (OSError, ValueError) as exc:  # a path the system refuses to open
        report.problems.append(f"policy.file: 无法读取：{exc}")
    return None
