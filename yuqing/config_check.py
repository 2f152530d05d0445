"""What `yuqing config check` checks, in order, collecting every problem: the file loads (its
secrets file and the environment included) and every field is valid; every channel URL is one
Apprise can use (shown only masked); a console account's roles are its person's (a warning
otherwise: they could only narrow them); the active policy loads; and every obligation of that
policy reaches somebody at every chain level (an error at the first level, a warning above it).
Any file at all gives a report, never an exception."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.policy import Policy, PolicyError, PolicyInvalid
from models.policy.permissions import ROLE_LABELS
from notifications.channels import is_valid_url, privacy_url
from settings import Settings, SettingsError, load_settings
from tasks.runtime import load_policy, reach_problems


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)  # any of these: exit 2
    warnings: list[str] = field(default_factory=list)
    summary: str = ""


def check_configuration(path: Path) -> Report:
    report = Report()
    try:
        settings = load_settings(path, require_file=True)
    except SettingsError as exc:
        report.problems = exc.problems
        return report
    report.problems += channel_problems(settings)
    report.warnings += account_warnings(settings)
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


def channel_problems(settings: Settings) -> list[str]:
    return [
        f"secrets.channels.{cid}: Apprise 无法识别的地址 {privacy_url(url.get_secret_value())}"
        for cid, url in settings.secrets.channels.items()
        if not is_valid_url(url.get_secret_value())
    ]


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
