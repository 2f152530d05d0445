"""A person's action, recorded: one Prefect task run (`act`, named after the action and the case)
whose one transaction looks up what it acts on, checks that the person may (the catalogue and
its scope), changes the case, writes the notices it causes as the case flow's steps and (for a
signed link) spends the link's single-use nonce — all of it commits together or not at all.
Every timeline entry it writes says where the action came from (the console, a link, the command
line and the OS user running it). A refusal is an answer, not a failure: the task run completes
with the reason (`Acted.refused`), which the front door shows; only a fault fails the run. The
steps are handed to the `case` flow afterwards (`deployments.handoff`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.policy import PolicyError
from models.policy.schedule import blackout_at
from models.repo.access import Forbidden, standing_of
from models.repo.acting import Acting, perform
from models.repo.cases import ORIGIN, CaseError, CaseNotFound, NextStep
from models.repo.changes import Change
from models.repo.steps import add_steps
from models.store.db import session_scope
from notifications.links import LinkClaim, link_used, spend_link
from notifications.outbox.context import build_context
from settings.faults import inject
from tasks.runtime import Runtime, prepare

NO_CASE = 0  # the case number of a registration, which opens (or joins) one


@dataclass(frozen=True)
class ActionRequest:
    """What a front door asks for, in small values (Prefect shows them as the run's parameters):
    the action, its case and subject, the person (None: the command line without `--by`), a
    console account's roles that bound the person's, the form, and where it came from."""

    action: str
    case_id: int
    person: str | None
    at: datetime
    via: str  # console | link | cli | demo
    form: dict[str, str] = field(default_factory=dict)
    subject: str | None = None  # an obligation key, or `reqN`
    bound: tuple[str, ...] | None = None
    os_user: str | None = None  # the command line's OS user, on the record
    account: str | None = None  # the console account
    link: LinkClaim | None = None

    def origin(self) -> dict[str, str]:
        found = {"via": self.via, "os_user": self.os_user, "account": self.account}
        return {k: v for k, v in found.items() if v}


@dataclass(frozen=True)
class Acted:
    """The change and its steps, or why nothing changed: `refused` (a Chinese sentence) with
    its kind: forbidden (not this person's to do), not_found (no such case), refused (a rule
    or a field), used (a link that a racing click spent first)."""

    change: Change | None = None
    steps: tuple[int, ...] = ()
    refused: str = ""
    kind: str = ""
    next_step: NextStep | None = None  # what the refusal suggests instead


def record_action(runtime: Runtime, request: ActionRequest) -> Acted:
    """The action in one transaction; a refusal as a value (nothing written)."""
    try:
        with session_scope(runtime.engine) as session:
            session.info[ORIGIN] = request.origin()
            change = _perform(runtime, session, request)
            steps = add_steps(
                session, case_id=change.case_id, notices=change.notices, at=request.at
            )
            if request.link is not None:
                spend_link(session, request.link, at=request.at)
            inject("act.record")  # a test makes the transaction fail here, in a real process
    except Forbidden as exc:
        return Acted(refused=str(exc), kind="forbidden", next_step=exc.next_step)
    except CaseNotFound as exc:
        return Acted(refused=str(exc), kind="not_found")
    except CaseError as exc:
        return Acted(refused=str(exc), kind="refused", next_step=exc.next_step)
    except PolicyError as exc:
        return Acted(refused=str(exc), kind="refused")
    except IntegrityError:
        if request.link is not None and link_used(runtime.engine, request.link):
            return Acted(refused="此链接刚刚已被使用：每个链接只能使用一次", kind="used")
        raise
    return Acted(change, tuple(s.id for s in steps if s.id is not None))


def _perform(runtime: Runtime, session: Session, request: ActionRequest) -> Change:
    standing = None
    if request.person is not None:
        standing = standing_of(session, request.person, bound=request.bound)
        if standing is None:
            raise CaseError(f"办理人 {request.person!r} 不在人员名录中")
    acting = Acting(
        case_id=request.case_id,
        actor=standing.person if standing else "cli",
        at=request.at,
        form=request.form,
        policy=runtime.policy,
        calendar=runtime.calendar,
        subject=request.subject,
        routing=build_context(runtime.settings, runtime.policy).routing,
        horizon_days=runtime.settings.general.horizon_days,
        topics=runtime.topics,
        blackout=blackout_at(runtime.periods, request.at, runtime.settings.tz),
    )
    return perform(session, request.action, acting, standing)


@task(name="act", cache_policy=NO_CACHE)
def act(request: ActionRequest, config: str | None = None) -> Acted:
    """One person's action as a task run of its own (see the module docstring)."""
    return record_action(prepare(config), request)
