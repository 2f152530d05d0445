"""Helpers for the escalation and delivery tests: an office on a real database whose people's
channels point at local receivers, cases opened on a fixed clock, one escalation cycle, and the
notification ids a receiver got."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from models.policy import WorkCalendar
from models.repo.directory import sync_directory
from models.repo.opening import open_case
from models.store.db import session_scope
from models.store.presets import default_policy
from models.store.tables import CaseEvent, Notification
from notifications.outbox.context import DeliveryContext
from notifications.render import NOTIFICATION_ID_RE
from settings import Dispatch, PersonConfig, UnitConfig
from tasks.escalation import dispatching, escalate
from yuqing.localservers import WebhookReceiver

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
POLICY = default_policy()
CTX = DeliveryContext(policy=POLICY)
ROLES = {
    "wang": ["office_staff"],
    "li": ["leader_in_charge"],
    "zhao": ["duty_officer"],
    "chen": ["principal_leader", "office_head"],
    "sun": ["group_head"],
}
NAMES = {"wang": "王芳", "li": "李强", "zhao": "赵敏", "chen": "陈军", "sun": "孙力"}


def office(
    engine: Engine,
    channels: Mapping[str, list[str]],
    *,
    roles: Mapping[str, list[str]] = ROLES,
    deputies: Mapping[str, str] | None = None,
) -> None:
    people = [
        PersonConfig(
            id=pid,
            name=NAMES.get(pid, pid),
            unit="office",
            roles=role_list,
            channels=list(channels.get(pid, [f"{pid}_hook"])),
            deputy=(deputies or {}).get(pid),
        )
        for pid, role_list in roles.items()
    ]
    with session_scope(engine) as session:
        sync_directory(session, units=[UnitConfig(id="office", name="办公室")], people=people)


def new_case(
    engine: Engine,
    *,
    grade: str = "一级",
    at: datetime = T0,
    title: str = "某中学食堂投诉",
    units: Sequence[str] = (),
) -> int:
    with session_scope(engine) as session:
        case = open_case(
            session,
            title=title,
            grade=grade,
            policy=POLICY,
            calendar=WorkCalendar.default(),
            discovered_at=at,
        )
        case.units = list(units)
        session.add(case)
        assert case.id is not None
        return case.id


def hook_urls(receiver: WebhookReceiver, people: list[str]) -> dict[str, str]:
    return {f"{pid}_hook": receiver.apprise_url(f"/hook/{pid}") for pid in people}


def cycle(
    engine: Engine,
    at: datetime,
    urls: Mapping[str, str] | Callable[[str], str | None],
    *,
    ctx: DeliveryContext = CTX,
    options: Dispatch | None = None,
    batch_size: int = 200,
) -> dict[str, int]:
    """The escalation runbook once, sending one dispatch round here (`urls`: channel → URL)."""
    channel_url = urls.get if isinstance(urls, Mapping) else urls
    send = dispatching(engine, channel_url=channel_url, options=options, language=ctx.language)
    return escalate(engine, now=at, ctx=ctx, send=send, batch_size=batch_size)


def ids_at(receiver: WebhookReceiver) -> list[tuple[str, str]]:
    """(path, notification id) of every alert a receiver got (merged messages give several)."""
    found = []
    for request in receiver.received:
        data = request.json() if request.body.startswith(b"{") else request.form()
        found += [(request.path, i) for i in NOTIFICATION_ID_RE.findall(data["message"])]
    return found


def outbox(engine: Engine) -> list[Notification]:
    with session_scope(engine) as session:
        return list(session.exec(select(Notification).order_by(col(Notification.created_at))).all())


def events(engine: Engine, case_id: int) -> list[CaseEvent]:
    with session_scope(engine) as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
        return list(session.exec(query).all())
