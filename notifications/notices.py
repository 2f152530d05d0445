"""Telling people: the notices the domain returns become messages in the outbox.

For each notice: who (its roles resolved within the case's responsible units with the duty roster
overlaid, an obligation handed to a person (转办) having them in place of its owner role, plus the
people it names), on which channel (the person's first, or the one the notice names), what it says
(rendered for each person, with their own signed links), and under which key (case, obligation,
occasion, recipient, channel: delivering a notice twice queues nothing twice). Each queued message
is noted on the case timeline; a person with no channel is noted instead. Runs in the caller's
transaction, set-based (one insert of the messages, one of their timeline entries): the sweep's (a
lapse and its alerts commit together) or the `case` flow's step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.policy.notices import Notice
from models.policy.states import EventKind
from models.repo.directory import Directory, load_directory
from models.store.tables import Case, Obligation, Person
from notifications.cards import card, group_recipient
from notifications.nobody import NobodyToTell, asked_for_someone, nobody_entry, reason_for
from notifications.notice_render import links_for, render_for
from notifications.outbox.context import DeliveryContext
from notifications.outbox.rows import KEY_CHUNK, TIMELINE, Outgoing, enqueue, new_notification_id


class _Cache:
    """Rows read once per delivery batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.directory: Directory = load_directory(session)
        self.cases: dict[int, Case] = {}
        self.obligations: dict[int, Obligation] = {}
        self.people: dict[str, Person | None] = {}

    def preload(self, notices: Sequence[Notice]) -> None:
        """Read the notices' cases and obligations in one query each."""
        case_ids = {n.case_id for n in notices if n.case_id is not None} - set(self.cases)
        obligation_ids = {n.obligation_id for n in notices if n.obligation_id is not None}
        obligation_ids -= set(self.obligations)
        for start in range(0, len(case_ids), KEY_CHUNK):
            chunk = list(case_ids)[start : start + KEY_CHUNK]
            for case in self.session.exec(select(Case).where(col(Case.id).in_(chunk))):
                self.cases[case.id or 0] = case
        for start in range(0, len(obligation_ids), KEY_CHUNK):
            chunk = list(obligation_ids)[start : start + KEY_CHUNK]
            query = select(Obligation).where(col(Obligation.id).in_(chunk))
            for obligation in self.session.exec(query):
                self.obligations[obligation.id or 0] = obligation

    def case(self, case_id: int | None) -> Case | None:
        if case_id is None:
            return None
        if case_id not in self.cases:
            found = self.session.get(Case, case_id)
            assert found is not None, f"notice about unknown case {case_id}"
            self.cases[case_id] = found
        return self.cases[case_id]

    def obligation(self, obligation_id: int | None) -> Obligation | None:
        if obligation_id is None:
            return None
        if obligation_id not in self.obligations:
            found = self.session.get(Obligation, obligation_id)
            assert found is not None, f"notice about unknown obligation {obligation_id}"
            self.obligations[obligation_id] = found
        return self.obligations[obligation_id]

    def person(self, person_id: str) -> Person | None:
        if person_id not in self.people:
            self.people[person_id] = self.session.get(Person, person_id)
        return self.people[person_id]


def deliver(
    session: Session,
    notices: Sequence[Notice],
    *,
    ctx: DeliveryContext,
    now: datetime,
    strict: bool = False,
) -> int:
    """Queue every notice to each of its recipients; returns how many messages were queued.
    Set-based: the messages are rendered first, then inserted in one statement (those whose key
    is queued already left out) with their timeline entries in another. A notice that reaches
    nobody raises NobodyToTell when `strict` (a case step), else is on the timeline as such."""
    cache = _Cache(session)
    cache.preload(notices)
    planned: list[tuple[Notice, Person, Outgoing]] = []
    entries: list[dict[str, Any] | tuple[Notice, Person, Outgoing]] = []
    with session.no_autoflush:
        for notice in notices:
            if not _plan(cache, notice, ctx, now, planned, entries) and asked_for_someone(notice):
                reason = _nobody(cache, notice, ctx)
                if strict:
                    raise NobodyToTell(reason)
                entries.append(nobody_entry(notice, reason, now))
    queued = {m.notification_id for m in enqueue(session, [m for _, _, m in planned])}
    session.flush()  # the caller's own timeline entries come first
    events = [
        entry if isinstance(entry, dict) else _queued(*entry, now)
        for entry in entries
        if isinstance(entry, dict) or entry[2].notification_id in queued
    ]
    events = [e for e in events if e["case_id"] is not None]  # no case: no timeline
    if events:
        session.execute(insert(TIMELINE), events)
    return len(queued)


def _plan(
    cache: _Cache,
    notice: Notice,
    ctx: DeliveryContext,
    now: datetime,
    planned: list[tuple[Notice, Person, Outgoing]],
    entries: list[dict[str, Any] | tuple[Notice, Person, Outgoing]],
) -> bool:
    """Plan the notice's message to each recipient with a channel (noting those without);
    whether it reaches anybody."""
    reached = False
    for person_id in recipients_of(cache, notice, ctx, now):
        person = cache.person(person_id)
        if person is None or not person.channels:
            entries.append(_unreachable(notice, person_id, now))
            continue
        channel = notice.channel or person.channels[0]
        planned.append((notice, person, _message(cache, notice, person, channel, ctx, now)))
        entries.append(planned[-1])
        reached = True
    return reached


def _nobody(cache: _Cache, notice: Notice, ctx: DeliveryContext) -> str:
    case, obligation = cache.case(notice.case_id), cache.obligation(notice.obligation_id)
    return reason_for(
        notice,
        grade_label=ctx.policy.scheme.level(case.grade).label if case is not None else "",
        owner_role=obligation.owner_role if obligation is not None else None,
        title=obligation.title if obligation is not None else "",
    )


def recipients_of(cache: _Cache, notice: Notice, ctx: DeliveryContext, now: datetime) -> list[str]:
    case = cache.case(notice.case_id)
    obligation = cache.obligation(notice.obligation_id)
    people = cache.directory.people(
        notice.roles,
        units=case.units if case is not None else (),
        shifts=ctx.routing.shifts,
        at=now,
        owner_role=obligation.owner_role if obligation is not None else None,
        assignee=obligation.assignee_id if obligation is not None else None,
    )
    return list(dict.fromkeys([*people, *notice.people]))


def _message(
    cache: _Cache,
    notice: Notice,
    person: Person,
    channel: str,
    ctx: DeliveryContext,
    now: datetime,
) -> Outgoing:
    notification_id = new_notification_id()
    links = links_for(notice, person.id, ctx, now)
    case, obligation = cache.case(notice.case_id), cache.obligation(notice.obligation_id)
    subject, body, facts = render_for(case, obligation, notice, person, notification_id, ctx, links)
    window = notice.ack_window
    obligation = cache.obligation(notice.obligation_id)
    return Outgoing(
        notification_id=notification_id,
        case_id=notice.case_id,
        obligation_id=notice.obligation_id,
        level=notice.level,
        chain=notice.chain,
        recipient_id=person.id,
        channel=channel,
        subject=subject,
        body=body,
        at=now,
        due_at=obligation.due_at if obligation is not None else now,
        ack_window_seconds=None if window is None else int(window.total_seconds()),
        occasion=notice.occasion,
        attachment=notice.attachment,
        card=card(
            facts,
            links=links,
            group_links=links_for(notice, group_recipient(channel), ctx, now)
            if channel in ctx.groups
            else (),
            group_channel=channel if channel in ctx.groups else None,
            base_url=ctx.links.base_url if ctx.links is not None else None,
            tz=ctx.tz,
        ),
    )


def _unreachable(notice: Notice, person_id: str, now: datetime) -> dict[str, Any]:
    return _event(
        notice.case_id,
        EventKind.DELIVERY_FAILED,
        now,
        f"{person_id} 未配置通知渠道，无法通知（{notice.headline}）",
        {"recipient": person_id, "occasion": notice.occasion},
    )


def _queued(notice: Notice, person: Person, message: Outgoing, now: datetime) -> dict[str, Any]:
    return _event(
        notice.case_id,
        EventKind.NOTIFICATION_QUEUED,
        now,
        f"待发送：致 {person.name}（{message.channel}），{notice.headline}",
        {
            "notification": message.notification_id,
            "recipient": person.id,
            "channel": message.channel,
            "chain": notice.chain.value,
            "level": notice.level,
            "occasion": notice.occasion,
            "kind": notice.kind.value,
        },
    )


def _event(
    case_id: int | None, kind: EventKind, at: datetime, message: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "at": at,
        "kind": kind,
        "actor": "system",
        "message": message,
        "data": data,
    }
