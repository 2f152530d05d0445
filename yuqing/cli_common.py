"""Helpers shared by the command modules: the console, the config path chosen on the command
line, who a command acts as (`--by`, the configured operator, the OS user on the record), and
turning a refused request into a message and exit code 2 instead of a traceback: a broken
configuration, a refused action, a Prefect API or a database that cannot be reached."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import ArgumentError, OperationalError

from deployments.prefect_api import PrefectUnavailable, prefect_api
from models.policy import PolicyError
from models.policy.clocks import require_aware, utc_now
from models.repo.access import Forbidden
from models.repo.cases import CaseError
from models.repo.directory import find_person
from models.store.db import session_scope
from notifications.links import LinkRefused
from settings import SettingsError, load_settings
from tasks.runtime import Runtime, database_unreachable

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    config: Path | None = None
    at: datetime | None = None  # --at: act as of this time (drills, demos, tests)


def now() -> datetime:
    """The command's clock: `--at` when given, else the real time."""
    return State.at or utc_now()


def parse_at(text: str) -> datetime:
    """`--at` as given: an ISO time with its zone, else a one-line refusal and exit 2."""
    try:
        return require_aware(datetime.fromisoformat(text), name="--at")
    except ValueError:
        example = "例 2026-11-30T09:00+08:00"
        errors.print(f"[red]无法执行[/red] --at：须是带时区的 ISO 时间，{example}：{text[:40]!r}")
        raise typer.Exit(2) from None


def _at_given(value: str | None) -> str | None:
    if value is not None:
        State.at = parse_at(value)
    return value


# `--at` after the verb (`yuqing case sweep --at …`): the same clock as the global option before
# it; a command that honours the clock takes `at: str = AT` (never read: the callback sets it).
AT = typer.Option(
    None,
    "--at",
    callback=_at_given,
    expose_value=False,
    help="按此时间办理（演练与测试；ISO 时间，须带时区；也可写在命令前）",
)


def config_arg() -> str | None:
    return str(State.config) if State.config else None


def shown(text: str) -> str:
    """Text safe to print: no markup read into it, nothing the terminal cannot encode."""
    return escape(text.encode("utf-8", "replace").decode("utf-8"))


@contextmanager
def refusals() -> Iterator[None]:
    """Print a refused request's reason and exit 2; programming errors still raise."""
    try:
        yield
    except SettingsError as exc:
        for problem in exc.problems:
            errors.print(f"[red]配置错误[/red] {shown(problem)}")
        raise typer.Exit(2) from None
    except Forbidden as exc:  # not this person's to do (the catalogue's permission)
        errors.print(f"[red]无权办理[/red] {shown(str(exc))}")
        raise typer.Exit(2) from None
    except (CaseError, PolicyError, PrefectUnavailable, LinkRefused) as exc:
        errors.print(f"[red]无法执行[/red] {shown(str(exc))}")
        raise typer.Exit(2) from None
    except (OperationalError, ArgumentError) as exc:
        errors.print(f"[red]无法执行[/red] {shown(database_unreachable(exc))}")
        raise typer.Exit(2) from None


def progress(text: str) -> None:
    """A progress line on stderr (stdout stays for the command's result)."""
    errors.print(f"[dim]{text}[/dim]")


@contextmanager
def flow_api() -> Iterator[None]:
    """Where this command's flow runs report: the running `yuqing serve`'s Prefect API, or a
    local server started for the command (`deployments.prefect_api`); inside `refusals()`."""
    data_dir = load_settings(State.config).general.data_dir
    with prefect_api(data_dir, say=progress):
        yield


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@dataclass(frozen=True)
class Who:
    """Who a command acts as: a person of the directory (by `--by`, else the configured
    `[cli] operator`), or None for the command line itself; and the OS user running it, which
    the record keeps beside either."""

    person: str | None
    os_user: str


def who_acts(runtime: Runtime, by: str | None) -> Who:
    """The person `--by` names (exit 2 naming the field when nobody is found), else the
    configured operator, else nobody."""
    os_user = getpass.getuser()
    if by is not None:
        with session_scope(runtime.engine) as session:
            person = find_person(session, by.strip())
        if person is None:
            raise CaseError(f"字段 --by（办理人）：人员名录中没有 {by[:40]!r}，请用人员编号或姓名")
        return Who(person.id, os_user)
    return Who(runtime.settings.cli.operator, os_user)
