"""One message as the platforms' rich forms need it, beside its plain text: a title, one section
per alert or notice it carries (a heading, lines of fact, its action buttons, a one-line compact
form and the link that compact form points to), the people it names with their platform ids for
@mentions, the link a shortened message ends with, and the variables of an SMS template. Plain
values; `notifications.compose` builds them, the platform plugins encode them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    label: str
    url: str


@dataclass(frozen=True)
class Mention:
    """Someone a message names, with the ids each platform @mentions by (None: not known)."""

    name: str
    mobile: str | None = None
    wecom_userid: str | None = None
    dingtalk_userid: str | None = None
    feishu_open_id: str | None = None


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    compact: str = ""  # the whole section on one line (a long message falls back to it)
    link: str | None = None  # where the compact form's one link points
    names: tuple[str, ...] = ()  # who must act on it (their names; @mentioned where possible)
    ids: tuple[str, ...] = ()  # its notification ids (a receiver drops a repeat by them)

    @property
    def who(self) -> str:
        return f"请 {'、'.join(self.names)} 办理" if self.names else ""


@dataclass(frozen=True)
class SmsVars:
    """An alert mapped to an SMS template's variables: case number, item, deadline, link."""

    case: str = ""
    item: str = ""
    due: str = ""
    link: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"case": self.case, "item": self.item, "due": self.due, "link": self.link}


@dataclass(frozen=True)
class Envelope:
    title: str
    text: str  # the plain-text form (format=text, and every channel that is not a platform's)
    sections: tuple[Section, ...] = ()
    mentions: tuple[Mention, ...] = ()
    more: str | None = None  # the case (or the console) a shortened message points to
    sms: SmsVars = SmsVars()
    group: bool = False  # to a group: sections name their people, links identify who pressed

    @property
    def mobiles(self) -> tuple[str, ...]:
        return tuple(m.mobile for m in self.mentions if m.mobile)


def plain(title: str, body: str) -> Envelope:
    """The envelope of a message known only as text (a test message, Apprise used directly)."""
    lines = tuple(line for line in body.splitlines() if line.strip())
    return Envelope(
        title=title,
        text=body,
        sections=(Section(heading=title, lines=lines, compact=title),),
        sms=SmsVars(item=title[:20]),
    )
