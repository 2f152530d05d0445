"""The fast path for RSS 2.0, the common case: a streaming read (defusedxml's iterparse: no
entity expansion, memory bounded by one item) that returns the same entries feedparser would for
the elements it knows, and raises `Unsupported` for anything else so the caller hands the whole
document to feedparser. It knows, in an item: `title` and `dc:title` (the first that is not
empty), `link` (the last) or else the first permalink `guid`, `description`/`dc:description` (one)
or else the first `content:encoded`, `pubDate`/`dcterms:issued` then `dc:date`/`dcterms:modified`
(the last of each), `author`/`dc:creator` (the last), `slash:comments` and yuqing's metric
elements, and it skips a few elements that change none of these; it follows xml:base on the
root, the channel and items. Where feedparser would rewrite text (its Latin-1 and Windows-1252
repairs, character references HTML does not define, broken markup), links (entity-like text,
unlisted schemes), bases (xml:base anywhere else) or an item holding a `<div>` element (which
upsets its bookkeeping), or read a date spelt some way not written here, the fast path steps
aside rather than guess. Pure: no I/O."""

from __future__ import annotations

import html.entities
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, tostring

from defusedxml.ElementTree import iterparse

from models.parse.entries import Entry
from models.parse.rss_dates import rss_date
from models.parse.unsupported import Unsupported

DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"
WFW = "{http://wellformedweb.org/CommentAPI/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
SLASH = "{http://purl.org/rss/1.0/modules/slash/}comments"
METRICS = "{urn:yuqing:metrics}"
CLICKS, REPOSTS = f"{METRICS}clicks", f"{METRICS}reposts"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

TITLES = frozenset({"title", f"{DC}title"})
SUMMARIES = frozenset({"description", f"{DC}description"})
PUBLISHED = frozenset({"pubDate", f"{DCTERMS}issued"})
UPDATED = frozenset({f"{DC}date", f"{DCTERMS}modified"})
AUTHORS = frozenset({"author", f"{DC}creator"})
# Read by feedparser into nothing this path returns. (Not `source`: it resets which title wins.)
SKIPPED = frozenset(
    {"category", "comments", "enclosure", f"{DC}subject", f"{WFW}comment", f"{WFW}commentRss"}
)
_ODD_LINK = re.compile(r"&[A-Za-z0-9_]+;|^[A-Za-z][A-Za-z0-9+.-]*:///")
_C1 = re.compile("[\x80-\x9f]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_SCOPES = frozenset({"rss", "channel", "item"})  # where the fast path follows xml:base
_REFERENCE = re.compile(r"&(#?[A-Za-z0-9_]+);")
_WHOLE_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.S)
_LOOSE_TAG = re.compile(r"<[A-Za-z/!?]")


def read_rss(utf8: bytes, *, base: str | None) -> list[Entry]:
    """The entries of an RSS 2.0 document (UTF-8, declaration removed), or `Unsupported`.
    `base` is the feed's own URL; xml:base on the root, the channel or an item refines it."""
    entries: list[Entry] = []
    root_seen = in_item = False
    bases = [base]
    for event, element in iterparse(io.BytesIO(utf8), events=("start", "end")):
        tag = element.tag
        if event == "start":
            if not root_seen:
                if tag != "rss" or element.get("version") != "2.0":
                    raise Unsupported("not RSS 2.0")
                root_seen = True
            if tag in _SCOPES:
                bases.append(_rebase(bases[-1], element.get(XML_BASE)))
            elif XML_BASE in element.attrib:
                raise Unsupported(f"xml:base on {tag}")
            if tag == "item":
                if in_item:
                    raise Unsupported("an item inside an item")
                in_item = True
            elif tag == CONTENT and not in_item:
                raise Unsupported("content:encoded outside an item")
            continue
        if tag == "item":
            if element.find(".//div") is not None:
                # A <div> element shifts feedparser's depth and base bookkeeping (its bug): the
                # item's later duplicates are read differently, and its xml:base is carried on
                # into the items after it. The fast path steps aside so both read it alike.
                raise Unsupported("a <div> element in an item")
            entries.append(_entry(element, bases[-1]))
            element.clear()
            in_item = False
        if tag in _SCOPES:
            bases.pop()
    if not root_seen:
        raise Unsupported("empty document")
    return entries


def _rebase(base: str | None, declared: str | None) -> str | None:
    """The base inside an element with `xml:base="declared"` (relative to the outer base)."""
    if declared is None:
        return base
    joined = urljoin(base, declared.strip()) if base else declared.strip()
    if _ODD_LINK.search(declared) or _scheme(joined) not in ("http", "https"):
        raise Unsupported("an xml:base that is not an http(s) address")
    return joined


@dataclass
class _Parts:
    """What an item's elements said so far."""

    title: str | None = None
    link: str | None = None
    guid: str | None = None
    content: str | None = None
    summaries: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    author: str = ""
    clicks: str | None = None
    comments: str | None = None
    reposts: str | None = None


def _entry(item: Element, base: str | None) -> Entry:
    parts = _Parts()
    for child in item:
        _take(parts, child, base)
    if len(parts.summaries) > 1:
        raise Unsupported("more than one description")
    return Entry(
        link=parts.link if parts.link is not None else parts.guid or "",
        title=parts.title or "",
        summary=parts.summaries[0] if parts.summaries else parts.content or "",
        when=parts.published or parts.updated,
        base=base,
        author=parts.author,
        clicks=parts.clicks,
        comments=parts.comments,
        reposts=parts.reposts,
    )


def _take(parts: _Parts, child: Element, base: str | None) -> None:
    """What one element of an item says; Unsupported for one feedparser would read otherwise."""
    tag = child.tag
    if tag in TITLES:
        text = _markup(child).strip()
        if parts.title is None and text:
            parts.title = text
    elif tag == "link":
        parts.link = _link(_text(child), base)
    elif tag == "guid":
        if parts.guid is None and _permalink(child):
            parts.guid = _link(_text(child), base)
    elif tag in SUMMARIES:
        parts.summaries.append(_markup(child))
    elif tag == CONTENT:
        parts.content = _markup(child) if parts.content is None else parts.content
    elif tag in PUBLISHED:
        parts.published = rss_date(_text(child))
    elif tag in UPDATED:
        parts.updated = rss_date(_text(child))
    elif tag in AUTHORS:
        parts.author = _text(child)
        if "@" in parts.author:  # feedparser splits e-mail addresses out of authors
            raise Unsupported("an author with an e-mail address")
    elif tag == CLICKS:
        parts.clicks = child.text
    elif tag == SLASH:
        parts.comments = child.text
    elif tag == REPOSTS:
        parts.reposts = child.text
    elif tag not in SKIPPED:
        raise Unsupported(f"element {tag}")


def _permalink(guid: Element) -> bool:
    flags = [value for key, value in guid.attrib.items() if key.lower() == "ispermalink"]
    return not flags or flags[-1] == "true"


def _text(element: Element) -> str:
    if len(element):
        raise Unsupported(f"markup inside {element.tag}")
    return _checked((element.text or "").strip())


def _markup(element: Element) -> str:
    """The element's content as markup (child elements written back out), as feedparser sees
    it; namespaced children (XHTML and the like) and broken markup (a `<` that opens no whole
    tag: HTML parsers differ on where it ends) are feedparser's to read."""
    text = _markup_text(element)
    if "<" in text and _LOOSE_TAG.search(_WHOLE_TAG.sub("", text)):
        raise Unsupported(f"broken markup inside {element.tag}")
    return text


def _markup_text(element: Element) -> str:
    if not len(element):
        return _checked(element.text or "")
    for sub in element.iter():
        if sub is not element and sub.tag[:1] == "{":
            raise Unsupported(f"namespaced markup inside {element.tag}")
        # Written back out, `&` in text becomes `&amp;`; feedparser reads the text as it is.
        _checked(sub.text or "")
        if sub is not element:
            _checked(sub.tail or "")
    inner = "".join(tostring(sub, encoding="unicode") for sub in element)
    return _checked((element.text or "") + inner)


def _checked(text: str) -> str:
    """The text, unless feedparser would rewrite it: a character reference HTML does not define
    (its sanitiser mends those its own way), Windows-1252 control characters, or text that reads
    as UTF-8 once encoded as Latin-1 (its mojibake repair)."""
    if "&" in text and any(not _known_reference(ref) for ref in _REFERENCE.findall(text)):
        raise Unsupported("an unknown character reference")
    if text.isascii():
        return text
    if _C1.search(text):
        raise Unsupported("C1 control characters")
    try:
        repaired = text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    if repaired != text:
        raise Unsupported("text feedparser would re-decode")
    return text


def _known_reference(ref: str) -> bool:
    """A named HTML entity, or a numeric reference to a character text may hold."""
    if not ref.startswith("#"):
        return f"{ref};" in html.entities.html5
    digits = ref[1:]
    try:
        code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits)
    except ValueError:
        return False
    return 0x20 <= code < 0xD800 or (0xE000 <= code <= 0x10FFFF and code != 0xFFFE)


def _link(text: str, base: str | None) -> str:
    if _ODD_LINK.search(text):
        raise Unsupported("a link feedparser rewrites")
    if text and base and _scheme(text) not in ("", "http", "https"):
        raise Unsupported("a link with another scheme")  # feedparser drops those it does not list
    return text


def _scheme(url: str) -> str:
    found = _SCHEME.match(url)
    return found.group(1) if found else ""
