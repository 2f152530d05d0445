"""Writing a generated feed spec (`tests.support.feedgen`) out as a document: RSS 0.90, 0.91,
0.92, 1.0 and 2.0 or Atom 0.3 and 1.0, declaring and encoded in the spec's charset; RSS 2.0 items
carry the spec's extensions (dc:*, dcterms:*, content:encoded, permalink guids, markup written
as elements, xml:base) and its extra elements."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from tests.support.feedgen import EntrySpec, FeedSpec

DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"


def render(spec: FeedSpec) -> bytes:
    """The document, encoded in the spec's charset and declaring it."""
    body = _RENDER[spec.format](spec)
    label = "UTF-8" if spec.charset == "utf-8" else spec.charset.upper()
    text = f'<?xml version="1.0" encoding="{label}"?>\n{body}'
    encoded = text.encode(spec.charset)
    return encoded


def _base(base: str | None) -> str:
    return f" xml:base={quoteattr(base)}" if base else ""


def rfc822(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S ") + when.strftime("%z")


def w3c(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _rss20_item(entry: EntrySpec) -> str:
    title_tag = "dc:title" if entry.title_as_dc else "title"
    parts = [f"<{title_tag}>{escape(entry.title)}</{title_tag}>"]
    if entry.link_as_guid:
        parts.append(f'<guid isPermaLink="true">{escape(entry.link)}</guid>')
    else:
        parts.append(f"<link>{escape(entry.link)}</link>")
        parts.append(f'<guid isPermaLink="false">id-{escape(entry.link)}</guid>')
    summary_tag = "content:encoded" if entry.summary_as_content else "description"
    inner = _as_children(entry.summary) if entry.summary_as_children else escape(entry.summary)
    parts.append(f"<{summary_tag}>{inner}</{summary_tag}>")
    if entry.when is not None:
        date = rfc822(entry.when) if entry.date_element == "pubDate" else w3c(entry.when)
        parts.append(f"<{entry.date_element}>{date}</{entry.date_element}>")
    if entry.author:
        tag = "dc:creator" if entry.author_as_dc else "author"
        parts.append(f"<{tag}>{escape(entry.author)}</{tag}>")
    parts[len(parts) // 2 : len(parts) // 2] = entry.extras  # some before, some after
    return f"<item{_base(entry.base)}>{''.join(parts)}</item>"


def _as_children(text: str) -> str:
    """Markup written as elements: the tags stay tags, the text between them is escaped."""
    out, rest = [], text
    for tag in ("br/", "b", "i", "em", "strong", "span", "a", "p", "div", "li", "h2", "blockquote"):
        rest = rest.replace(f"<{tag}>", f"\x01{tag}\x02").replace(f"</{tag}>", f"\x01/{tag}\x02")
    for piece in rest.split("\x01"):
        tag, _, after = piece.partition("\x02") if "\x02" in piece else ("", "", piece)
        out.append(f"<{tag}>" if tag else "")
        out.append(escape(after))
    return "".join(out)


def _rss20(spec: FeedSpec) -> str:
    items = "".join(_rss20_item(e) for e in spec.entries)
    return (
        f'<rss version="2.0" xmlns:dc="{DC}" xmlns:dcterms="{DCTERMS}" xmlns:content="{CONTENT}">'
        f"<channel{_base(spec.channel_base)}><title>網站</title><link>http://feeds.test/</link>"
        f"<description>d</description>{items}</channel></rss>"
    )


def _rss09x(spec: FeedSpec) -> str:
    version = {"rss091": "0.91", "rss092": "0.92"}[spec.format]
    items = "".join(
        f"<item><title>{escape(e.title)}</title><link>{escape(e.link)}</link>"
        f"<description>{escape(e.summary)}</description></item>"
        for e in spec.entries
    )
    return (
        f'<rss version="{version}"><channel><title>網站</title><link>http://feeds.test/</link>'
        f"<description>d</description><language>zh</language>{items}</channel></rss>"
    )


def _rdf(spec: FeedSpec) -> str:
    rss10 = spec.format == "rss10"
    ns = "http://purl.org/rss/1.0/" if rss10 else "http://my.netscape.com/rdf/simple/0.9/"
    items = []
    for e in spec.entries:
        title = "dc:title" if e.title_as_dc else "title"
        extra = f"<description>{escape(e.summary)}</description>" if rss10 else ""
        if rss10 and e.when is not None:
            extra += f"<dc:date>{w3c(e.when)}</dc:date>"
        items.append(
            f"<item><{title}>{escape(e.title)}</{title}><link>{escape(e.link)}</link>{extra}</item>"
        )
    return (
        f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="{ns}" '
        f'xmlns:dc="{DC}"><channel><title>網站</title><link>http://feeds.test/</link>'
        f"<description>d</description></channel>{''.join(items)}</rdf:RDF>"
    )


def _atom(spec: FeedSpec) -> str:
    atom10 = spec.format == "atom10"
    entries = []
    for e in spec.entries:
        link = f'<link rel="alternate" type="text/html" href={quoteattr(e.link)}/>'
        if atom10:
            summary = f'<summary type="html">{escape(e.summary)}</summary>'
            date = f"<updated>{w3c(e.when)}</updated>" if e.when else ""
            author = f"<author><name>{escape(e.author)}</name></author>" if e.author else ""
        else:
            summary = f'<summary type="text/html" mode="escaped">{escape(e.summary)}</summary>'
            date = f"<issued>{w3c(e.when)}</issued>" if e.when else ""
            author = ""
        title = (
            f'<title type="html">{escape(e.title)}</title>'
            if atom10
            else (f'<title type="text/html" mode="escaped">{escape(e.title)}</title>')
        )
        entries.append(
            f"<entry{_base(e.base)}>{title}{link}<id>urn:x:{escape(e.link)}</id>{summary}"
            f"{date}{author}</entry>"
        )
    if atom10:
        head = '<feed xmlns="http://www.w3.org/2005/Atom"'
        return f"{head}{_base(spec.channel_base)}><title>網站</title>{''.join(entries)}</feed>"
    head = '<feed version="0.3" xmlns="http://purl.org/atom/ns#">'
    return f"{head}<title>網站</title>{''.join(entries)}</feed>"


_RENDER = {
    "rss090": _rdf,
    "rss091": _rss09x,
    "rss092": _rss09x,
    "rss10": _rdf,
    "rss20": _rss20,
    "atom03": _atom,
    "atom10": _atom,
}
