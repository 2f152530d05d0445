"""Helpers shared by the command modules: the console, the config path chosen on the command
line, who a command acts as (`--by`, the configured operator, the OS user on the record), and
turning a refused request into a message and exit code 2 instead of a traceback: a broken
configuration, a refused action, a Prefect API or a database that cannot be reached.

Quick to import on purpose (`yuqing --help` loads every command module): the standard library,
typer and rich only; the errors a refusal names are recognised by their classes once raised,
so the libraries that define them are never imported here."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from models.repo.cases import NextStep
    from tasks.runtime import Runtime

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    config: Path | None = None
    at: datetime | None = None  # --at: act as of this time (drills, demos, tests)


def now() -> datetime:
    """The command's clock: `--at` when given, else the real time."""
    from models.policy.clocks import utc_now

    return State.at or utc_now()


def parse_at(text: str) -> datetime:
    """`--at` as given: an ISO time with its zone, else a one-line refusal and exit 2."""
    from models.policy.clocks import require_aware

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


def _is(exc: BaseException, module: str, *names: str) -> bool:
    """`exc` is one of `module`'s classes `names` (only if that module was ever imported: an
    error of a library never loaded cannot have been raised)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, tuple(getattr(loaded, n) for n in names))


def refusal(exc: BaseException) -> list[str] | None:
    """The lines saying why a request was refused, or None for an error that is a bug."""
    if _is(exc, "settings.base", "SettingsError"):
        return [f"[red]配置错误[/red] {shown(problem)}" for problem in exc.problems]  # type: ignore[attr-defined]
    if _is(exc, "models.repo.access", "Forbidden"):  # not this person's to do (the catalogue)
        return [f"[red]无权办理[/red] {shown(str(exc))}", *_hint(exc)]
    refused = (
        _is(exc, "models.repo.cases", "CaseError")
        or _is(exc, "models.policy.errors", "PolicyError")
        or _is(exc, "deployments.local_server", "PrefectUnavailable")
        or _is(exc, "notifications.links", "LinkRefused")
    )
    if refused:
        return [f"[red]无法执行[/red] {shown(str(exc))}", *_hint(exc)]
    if _is(exc, "sqlalchemy.exc", "OperationalError", "ArgumentError"):
        from models.store.outages import database_unreachable

        return [f"[red]无法执行[/red] {shown(database_unreachable(exc))}"]
    return None


# A form field's option where it is not `--name` (the units of 快报, 研判 and 下发 repeat `--unit`).
OPTIONS = {"units": "--unit"}


def _hint(exc: BaseException) -> list[str]:
    """The refusal's next step (`models.repo.cases.NextStep`) as the command to run, or the
    option to add to this one."""
    step = getattr(exc, "next_step", None)
    return [] if step is None else [f"  命令：{shown(command_hint(step))}"]


def command_hint(step: NextStep) -> str:
    """`yuqing case VERB CASE --field value…` for another action; the options for a field of
    this one (any one of them)."""
    options = [
        " ".join([OPTIONS.get(name, "--" + name.replace("_", "-")), value or "…"])
        for name, value in step.fields
    ]
    if step.action is None:
        return "加上 " + " 或 ".join(options)
    verb = ["yuqing", "case", step.action.replace("_", "-"), str(step.case_id or "")]
    return " ".join([*filter(None, verb), *options])


@contextmanager
def refusals() -> Iterator[None]:
    """Print a refused request's reason and exit 2; programming errors still raise."""
    try:
        yield
    except Exception as exc:
        lines = refusal(exc)
        if lines is None:
            raise
        for line in lines:
            errors.print(line)
        raise typer.Exit(2) from None


def progress(text: str) -> None:
    """A progress line on stderr (stdout stays for the command's result)."""
    errors.print(f"[dim]{text}[/dim]")


@contextmanager
def flow_api() -> Iterator[None]:
    """Where this command's flow runs report: the running `yuqing serve`'s Prefect API, or a
    local server started for the command (`deployments.prefect_api`); inside `refusals()`."""
    from deployments.prefect_api import prefect_api
    from settings import load_settings

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
    from models.repo.cases import CaseError
    from models.repo.directory import find_person
    from models.store.db import session_scope

    os_user = getpass.getuser()
    if by is not None:
        with session_scope(runtime.engine) as session:
            person = find_person(session, by.strip())
        if person is None:
            raise CaseError(f"字段 --by（办理人）：人员名录中没有 {by[:40]!r}，请用人员编号或姓名")
        return Who(person.id, os_user)
    return Who(runtime.settings.cli.operator, os_user)
