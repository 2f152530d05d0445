"""A claimed message as it is sent: its title and text (what every channel that is not a platform
gets: the recipient's own text, or several merged) and, for a platform's channel, its rich form.

To a person: each alert's section with their own one-click buttons. To a group: one section per
event, naming everyone it concerns (the platforms @mention them), with the group's links (who
presses one is asked, never taken to be the addressee) or the case's console page — never a
person's own links. An alert stored without a card (a report, an older row) is shown from its
text, without the lines that carry a person's links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from models.policy.platforms import SMS, Platform
from notifications.cards import group_section, personal_section, sms_of
from notifications.claimed import Alert, Message
from notifications.envelope import Envelope, Section, SmsVars
from notifications.platforms.fitting import Detail, text_of
from notifications.render import render_batch

ACTION_LINK = "/l/"  # a signed one-click link's path: bound to one person


def compose(
    message: Message, *, platform: Platform | None, language: str = "zh"
) -> tuple[str, str, Envelope | None]:
    """(title, text, rich form or None) of one claimed message."""
    if message.group:
        envelope = _group(message, language)
        return envelope.title, envelope.text, envelope
    title, body = render_batch([(a.subject, a.body) for a in message.alerts], language=language)
    if platform is None:
        return title, body, None
    sections = tuple(_personal(alert, language) for alert in message.alerts)
    envelope = Envelope(
        title=title,
        text=body,
        sections=sections,
        mentions=message.mentions if platform in SMS else (),
        more=next((s.link for s in sections if s.link), None),
        sms=_sms(message, title),
    )
    return title, body, envelope


def _sms(message: Message, title: str) -> SmsVars:
    cards = [a.card for a in message.alerts if a.card]
    return sms_of(cards, title, message.alerts[0].case_id, len(message.alerts))


def _personal(alert: Alert, language: str) -> Section:
    if alert.card:
        return personal_section(alert.card, alert.id, language)
    lines = tuple(
        line
        for line in alert.body.splitlines()
        if line.strip() and not line.startswith(("通知编号", "Notification id"))
    )
    return Section(heading=alert.subject, lines=lines, compact=alert.subject, ids=(alert.id,))


def _group(message: Message, language: str) -> Envelope:
    events: dict[str, list[Alert]] = {}
    for alert in message.alerts:
        events.setdefault(alert.event, []).append(alert)
    sections = tuple(_event(alerts, message.channel, language) for alerts in events.values())
    if len(sections) == 1:
        title = sections[0].heading
    else:
        title = f"【舆情督办】{len(sections)}条提醒（合并发送）"
    envelope = Envelope(
        title=title,
        text="",
        sections=sections,
        mentions=message.mentions,
        more=next((s.link for s in sections if s.link), None),
        sms=_sms(message, title),
        group=True,
    )
    return replace(envelope, text=text_of(envelope, Detail.FULL))


def _event(alerts: Sequence[Alert], channel: str, language: str) -> Section:
    names = list(dict.fromkeys(a.recipient_name for a in alerts))
    ids = [a.id for a in alerts]
    first = alerts[0]
    if first.card:
        return group_section(first.card, channel, names, ids, language)
    lines = [
        line
        for n, line in enumerate(first.body.splitlines())
        if line.strip()
        and ACTION_LINK not in line
        and not line.startswith("通知编号")
        and not (n == 0 and line.endswith("："))
    ]
    who = "、".join(names)
    return Section(
        heading=first.subject,
        lines=tuple(lines),
        ids=tuple(ids),
        compact=f"{first.subject}（{who}）",
        names=tuple(names),
    )
