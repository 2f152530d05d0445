"""An alert's structured form, stored with its outbox row (`notification.card`) beside its text:
the heading, the lines of fact (no salutation, no links), the recipient's own action links, the
group channel's links where it was queued for one (bound to the group, not to a person: who
presses them is asked, `yuqing.web.group_links`), the case's console page, a one-line compact
form, and the SMS template's facts. The dispatcher builds cards, merged and group messages from
it (`notifications.compose`). Plain data in, plain data out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.policy.catalogue import label
from notifications.envelope import Button, Section, SmsVars

GROUP_PREFIX = "@"  # a link's recipient field naming a group channel instead of a person


def group_recipient(channel: str) -> str:
    return f"{GROUP_PREFIX}{channel}"


@dataclass(frozen=True)
class CardFacts:
    heading: str
    lines: tuple[str, ...]
    case_id: int | None
    item: str  # what it is about, short: "快报已超时"
    due_at: datetime | None
    compact: str


def card(
    facts: CardFacts,
    *,
    links: Sequence[tuple[str, str]],
    group_links: Sequence[tuple[str, str]] = (),
    group_channel: str | None = None,
    base_url: str | None,
    tz: ZoneInfo,
) -> dict[str, Any]:
    case_url = f"{base_url}/cases/{facts.case_id}" if base_url and facts.case_id else None
    due = facts.due_at.astimezone(tz).strftime("%m-%d %H:%M") if facts.due_at else ""
    return {
        "heading": facts.heading,
        "lines": list(facts.lines),
        "links": [list(link) for link in links],
        "group_links": [list(link) for link in group_links],
        "group_channel": group_channel,
        "case_url": case_url,
        "compact": facts.compact,
        "sms": {
            "case": f"{facts.case_id}号" if facts.case_id else "",
            "item": facts.item,
            "due": due,
            "link": case_url or "",
        },
    }


def buttons(links: Any, language: str = "zh") -> tuple[Button, ...]:
    return tuple(Button(label(action, language), url) for action, url in links or ())


def personal_section(data: dict[str, Any], notification_id: str, language: str) -> Section:
    """The recipient's own section: their one-click links."""
    return Section(
        heading=str(data.get("heading", "")),
        lines=tuple(data.get("lines", ())),
        ids=(notification_id,),
        buttons=buttons(data.get("links"), language),
        compact=str(data.get("compact", "")),
        link=data.get("case_url") or None,
    )


def group_section(
    data: dict[str, Any], channel: str, names: Sequence[str], ids: Sequence[str], language: str
) -> Section:
    """One event as a group sees it: who must act, the group's links (who presses them is
    asked), else the case's console page."""
    who = "、".join(names)
    links = data.get("group_links") if data.get("group_channel") == channel else None
    case_url = data.get("case_url") or None
    shown = buttons(links, language) or ((Button("办理", case_url),) if case_url else ())
    return Section(
        heading=str(data.get("heading", "")),
        lines=tuple(data.get("lines", ())),
        ids=tuple(ids),
        buttons=shown,
        compact=f"{data.get('compact', '')}（{who}）",
        link=case_url or (shown[0].url if shown else None),
        names=tuple(names),
    )


def sms_of(
    cards: Sequence[dict[str, Any]], fallback: str, case_id: int | None, count: int
) -> SmsVars:
    """The SMS template's facts of one alert, or of `count` merged ("12号等3件"); an alert
    stored without a card gives its case and title."""
    more = f"等{count}件" if count > 1 else ""
    if not cards:
        return SmsVars(case=f"{case_id}号{more}" if case_id else "", item=fallback[:20])
    first = cards[0].get("sms") or {}
    return SmsVars(
        case=f"{first.get('case', '')}{more}",
        item=str(first.get("item") or fallback[:20]),
        due=str(first.get("due", "")),
        link=str(first.get("link", "")),
    )
