"""A notice as one person reads it: its subject and text (the person's own signed links in it,
else the command that does the same), the facts of its card, and the signed links of a
recipient (a person, or a group channel whose presser is asked who they are)."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.policy.notices import Notice, NoticeKind
from models.store.tables import Case, Obligation, Person
from notifications.cards import CardFacts
from notifications.outbox.context import DeliveryContext
from notifications.render import (
    AlertFacts,
    NoticeFacts,
    alert_compact,
    alert_item,
    alert_lines,
    alert_subject,
    notice_compact,
    notice_lines,
    notice_subject,
    render_alert,
    render_notice,
)

ALERT_KINDS = frozenset({NoticeKind.REMINDER, NoticeKind.LAPSE, NoticeKind.NO_ACK})


def render_for(
    case: Case | None,
    obligation: Obligation | None,
    notice: Notice,
    person: Person,
    notification_id: str,
    ctx: DeliveryContext,
    links: tuple[tuple[str, str], ...],
) -> tuple[str, str, CardFacts]:
    """(subject, body, the card's facts) of the notice as this person reads it."""
    grade = ctx.policy.scheme.level(case.grade).label if case is not None else ""
    if notice.kind in ALERT_KINDS and case is not None and obligation is not None:
        facts = _alert_facts(case, obligation, notice, person, notification_id, grade, links)
        return _alert(facts, ctx)
    command = notice.extra.get("command")
    notice_facts = NoticeFacts(
        notification_id=notification_id,
        recipient_name=person.name,
        headline=notice.headline,
        lines=notice.lines,
        case_id=notice.case_id,
        case_title=case.title if case is not None else "",
        grade_label=grade,
        links=links,
        command=str(command).replace("{person}", person.id) if command else None,
    )
    return _notice(notice_facts, notice, obligation, ctx)


def _alert_facts(
    case: Case,
    obligation: Obligation,
    notice: Notice,
    person: Person,
    notification_id: str,
    grade: str,
    links: tuple[tuple[str, str], ...],
) -> AlertFacts:
    assert case.id is not None
    return AlertFacts(
        notification_id=notification_id,
        case_id=case.id,
        case_title=case.title,
        grade_label=grade,
        obligation_title=obligation.title,
        due_at=obligation.due_at,
        provisional=obligation.provisional,
        late_by=notice.late_by or timedelta(0),
        level=notice.level,
        level_label=notice.headline,
        recipient_name=person.name,
        chain=notice.chain,
        links=links,
    )


def _alert(facts: AlertFacts, ctx: DeliveryContext) -> tuple[str, str, CardFacts]:
    """A reminder, lapse or unacknowledged alert: its subject, body and card."""
    lang = ctx.language
    subject, body = render_alert(facts, tz=ctx.tz, language=lang)
    lines = tuple(alert_lines(facts, tz=ctx.tz, language=lang))
    card_facts = CardFacts(
        alert_subject(facts, lang), lines, facts.case_id, alert_item(facts, lang),
        facts.due_at, alert_compact(facts, lang),
    )  # fmt: skip
    return subject, body, card_facts


def _notice(
    facts: NoticeFacts, notice: Notice, obligation: Obligation | None, ctx: DeliveryContext
) -> tuple[str, str, CardFacts]:
    """Any other notice: its subject, body and card."""
    subject, body = render_notice(facts, language=ctx.language)
    card_facts = CardFacts(
        notice_subject(facts, ctx.language),
        tuple(notice_lines(facts, ctx.language)),
        notice.case_id,
        notice.headline[:20],
        obligation.due_at if obligation is not None else None,
        notice_compact(facts),
    )
    return subject, body, card_facts


def links_for(
    notice: Notice, recipient: str, ctx: DeliveryContext, now: datetime
) -> tuple[tuple[str, str], ...]:
    """The signed links for `recipient` (a person, or a group channel whose presser is then
    asked who they are); none without a signer, or for a notice offering none."""
    if ctx.links is None or not notice.links or notice.link_subject is None:
        return ()
    assert notice.case_id is not None
    return ctx.links.alert_links(
        case_id=notice.case_id,
        obligation_key=notice.link_subject,
        recipient=recipient,
        now=now,
        actions=notice.links,
    )
