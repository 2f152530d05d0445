"""Fitting a message into a platform's size limit, never by refusal: the message is tried in full
(every section with its lines and buttons), then brief (each section's heading, its compact line
and its one link), then compact (one line per section); what still does not fit keeps its
leading sections and ends with how many more there are and the link to see them all (the case
or the console). The platform encoders give the rendering and the size; this module only
decides how much detail goes in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import IntEnum
from typing import TypeVar

from notifications.envelope import Envelope, Section

T = TypeVar("T")


class Detail(IntEnum):
    FULL = 0
    BRIEF = 1
    COMPACT = 2


def fit(
    envelope: Envelope,
    render: Callable[[Envelope, Detail], T],
    size: Callable[[T], int],
    limit: int,
) -> T:
    """The most detailed rendering of `envelope` within `limit` (as `size` counts it)."""
    for detail in Detail:
        rendered = render(envelope, detail)
        if size(rendered) <= limit:
            return rendered
    sections = list(envelope.sections)
    while len(sections) > 1:
        sections.pop()
        shortened = _shortened(envelope, sections)
        rendered = render(shortened, Detail.COMPACT)
        if size(rendered) <= limit:
            return rendered
    return render(_cut(envelope, limit), Detail.COMPACT)


def _shortened(envelope: Envelope, kept: list[Section]) -> Envelope:
    left = len(envelope.sections) - len(kept)
    where = f"，详见 {envelope.more}" if envelope.more else "，详见控制台"
    note = Section(heading=f"……另有 {left} 条{where}", compact=f"……另有 {left} 条{where}")
    return replace(envelope, sections=(*kept, note))


def _cut(envelope: Envelope, limit: int) -> Envelope:
    """A single section too long for the limit even alone: its compact line cut short."""
    first = envelope.sections[0] if envelope.sections else Section(heading=envelope.title)
    room = max(16, limit // 4)  # characters: a CJK character is 3 bytes in UTF-8
    where = f"（已截短，详见 {envelope.more}）" if envelope.more else "（已截短）"
    text = (first.compact or first.heading)[: max(8, room - len(where))] + where
    return replace(envelope, sections=(Section(heading=text, compact=text),))


def text_of(envelope: Envelope, detail: Detail, *, markdown: bool = False) -> str:
    """The message as text (or markdown) at `detail`; a personal message's full text form is
    its own text (what every other channel gets)."""
    if detail is Detail.FULL and not envelope.group and not markdown:
        return envelope.text
    lines = [f"**{envelope.title}**" if markdown else envelope.title]
    for n, section in enumerate(envelope.sections):
        if n == 0 and section.heading == envelope.title and detail is not Detail.COMPACT:
            section = replace(section, heading="")  # the title says it already
        lines += section_lines(section, detail, markdown=markdown)
    return "\n".join(line for n, line in enumerate(lines) if line or n)


def section_lines(section: Section, detail: Detail, *, markdown: bool) -> list[str]:
    """One section's lines: full (its facts, who must act, a line of buttons or one line per
    action, its ids), brief (one link instead of the buttons) or compact (one line)."""
    if detail is Detail.COMPACT:
        return [_with_link(section.compact or section.heading, section.link, markdown)]
    heading = f"**{section.heading}**" if markdown and section.heading else section.heading
    lines = ["", *([heading] if heading else []), *section.lines]
    if detail is Detail.BRIEF or not section.buttons:
        last = section.who or (lines.pop() if len(lines) > 1 else "")
        lines.append(_with_link(last, section.link, markdown) if last else "")
    else:
        lines += [section.who] if section.who else []
        if markdown:
            lines.append("　".join(f"[{b.label}]({b.url})" for b in section.buttons))
        else:
            lines += [f"{b.label}：{b.url}" for b in section.buttons]
    return [*lines, *(f"通知编号：{i}" for i in section.ids)]


def _with_link(text: str, link: str | None, markdown: bool) -> str:
    if not link:
        return text
    return f"{text} [点此办理]({link})" if markdown else f"{text} 办理链接：{link}"


def utf8(text: str) -> int:
    return len(text.encode("utf-8"))
