"""Generated feeds for the property tests and `bench/fuzz.py`: hypothesis strategies for feeds in
RSS 0.90, 0.91, 0.92, 1.0 and 2.0 and Atom 0.3 and 1.0, with the extensions the collector reads
(permalink guids, dc:title, dc:creator, dc:date, dcterms:issued/modified, content:encoded,
markup in titles and descriptions, escaped or as child elements, relative links and xml:base),
written in UTF-8, GBK, Big5, UTF-16 or UTF-32; what a reader should find in each (the ground
truth); and mutations of them (cut short, bytes flipped) for the never-crash property. Writing a
spec out as bytes is `tests.support.feedrender`'s job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from models.parse.text import plain_text
from tests.support.feedrender import render, rfc822, w3c

FEED_URL = "http://feeds.test/dir/feed.xml"
FORMATS = ("rss090", "rss091", "rss092", "rss10", "rss20", "atom03", "atom10")
CHARSETS = ("utf-8", "gbk", "big5", "utf-16", "utf-32")
# Characters every charset above can carry (traditional ones: Big5 has no simplified forms).
CJK = "中國學校食堂問題網民反映家長政府公安醫院交通道路居民社區新聞記者報道"
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ZONES = (0, 8 * 60, -5 * 60, 5 * 60 + 30)


@dataclass(frozen=True)
class EntrySpec:
    title: str  # as the document carries it: may be markup, may be empty
    link: str  # as written: absolute, or relative to the entry's base
    summary: str  # markup
    when: datetime | None
    author: str
    title_as_dc: bool = False  # dc:title instead of title (RSS)
    link_as_guid: bool = False  # only a permalink guid (RSS 2.0)
    summary_as_content: bool = False  # content:encoded instead of description (RSS 2.0)
    summary_as_children: bool = False  # markup written as elements, not escaped (RSS 2.0)
    date_element: str = "pubDate"  # RSS 2.0: pubDate, dc:date, dcterms:issued|modified
    author_as_dc: bool = False  # dc:creator instead of author (RSS 2.0)
    base: str | None = None  # xml:base on the entry
    extras: tuple[str, ...] = ()  # more elements (RSS 2.0, differential only): duplicates etc.


@dataclass(frozen=True)
class FeedSpec:
    format: str
    charset: str
    entries: tuple[EntrySpec, ...]
    channel_base: str | None = None


@dataclass(frozen=True)
class Expected:
    url: str
    title: str
    summary: str
    published_at: datetime | None


words = st.text(alphabet=ASCII + CJK + " ", min_size=1, max_size=16).filter(str.strip)
special = st.sampled_from(["A & B", "x < y", "5 > 3", '"引號"', "it's", "AT&T", "&", "<"])
# Text feedparser rewrites its own way (references HTML does not define, Latin-1 mojibake it
# repairs, C1 controls it maps): the fast path must step aside for it, so only the differential
# property draws it; no reader could be faithful to it.
odd = st.sampled_from(
    [
        *("AT&T;", "&nbsp", "&amp", "&#0;", "&#xD800;", "&#1114112;", "&copy;"),
        *("Ã©", "caf\xe9", "\x85", "<script>alert(1)</script>", "<style>p{}</style>"),
        *("<!-- 注释 -->", "<img src=x.jpg>"),
    ]
)
inline = st.sampled_from(["b", "i", "em", "strong", "span", "a"])
block = st.sampled_from(["p", "div", "li", "h2", "blockquote"])


@st.composite
def markup(draw: st.DrawFn, *, tags: bool = True, oddities: bool = False) -> str:
    """Text as a feed carries it: words, characters XML must escape, and (optionally) HTML."""
    pieces = st.one_of(words, special, odd) if oddities else st.one_of(words, special)
    parts = draw(st.lists(pieces, min_size=1, max_size=4))
    if tags and draw(st.booleans()):
        tag = draw(st.one_of(inline, block))
        cut = draw(st.integers(0, len(parts)))
        parts = [*parts[:cut], f"<{tag}>{' '.join(parts[cut:]) or 'x'}</{tag}>"]
    if tags and draw(st.booleans()):
        parts.append("<br/>")
    return " ".join(parts)


EXTRA_KINDS = (
    *("title", "dc:title", "link", "guid", "description", "content:encoded", "date"),
    *("author", "dc:creator", "category", "comments", "other", "empty"),
)
ODD_DATES = (
    "Wed, 02 Oct 2002 13:00:00 CST",
    "Wed, 02 Oct 2002 13:00:00",
    "2002-10-02",
    "2002-10-02 13:00:00",
    "",
    "昨天 13:00",
    "Wed, 31 Feb 2002 13:00:00 GMT",
    "2002-10-02T24:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+08:00",
    "Wed, 02 Oct 2002 13:00:00 +2400",
)


@st.composite
def extra_elements(draw: st.DrawFn) -> str:
    """One more element for an RSS 2.0 item: a second title, link, guid, description, date or
    author, or an element the fast path does not read."""
    kind = draw(st.sampled_from(EXTRA_KINDS))
    if kind in ("title", "dc:title", "description", "content:encoded"):
        return f"<{kind}>{escape(draw(markup(oddities=True)))}</{kind}>"
    if kind == "link":
        return f"<link>{escape(draw(st.one_of(links(), st.sampled_from(ODD_LINKS))))}</link>"
    if kind == "guid":
        flag = draw(st.sampled_from(["", ' isPermaLink="true"', ' isPermaLink="false"']))
        return f"<guid{flag}>{escape(draw(links()))}</guid>"
    if kind == "date":
        tag = draw(st.sampled_from(["pubDate", "dc:date", "dcterms:issued", "dcterms:modified"]))
        when = draw(
            st.one_of(moments().map(rfc822), moments().map(w3c), st.sampled_from(ODD_DATES))
        )
        return f"<{tag}>{escape(when)}</{tag}>"
    if kind in ("author", "dc:creator"):
        name = draw(st.one_of(words, st.just("editor@site.test (编辑)")))
        return f"<{kind}>{escape(name)}</{kind}>"
    if kind == "other":
        return draw(
            st.sampled_from(
                [
                    '<media:thumbnail xmlns:media="http://search.yahoo.com/mrss/" url="http://a.test/x.jpg"/>',
                    "<lastBuildDate>Wed, 02 Oct 2002 13:00:00 GMT</lastBuildDate>",
                    '<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="alternate" href="http://atom.test/x"/>',
                    '<source url="http://src.test/">来源</source>',
                ]
            )
        )
    if kind == "empty":
        return draw(st.sampled_from(["<title></title>", "<link></link>", "<description/>"]))
    return f"<{kind}>{escape(draw(words))}</{kind}>"


ODD_LINKS = (
    "javascript:alert(1)",
    "HTTP://Site.test/Upper",
    "http:///no-host",
    "ftp://files.test/x",
    "http://site.test/a?b=1&amp;c=2",
    "http://site.test/a?x&copy;y",
    "//protocol.relative/x",
    "http://[::1]:8080/v6",
    "http://site.test:abc/bad-port",
    "  http://site.test/spaced  ",
    "http://site.test/含中文",
    "mailto:someone@site.test",
)


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    seconds = draw(st.integers(631152000, 1924905600))  # 1990 to 2030
    zone = timezone(timedelta(minutes=draw(st.sampled_from(ZONES))))
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone)


@st.composite
def links(draw: st.DrawFn) -> str:
    path = f"/p/{draw(st.integers(0, 10**6))}"
    kind = draw(st.sampled_from(["absolute", "root", "relative", "query"]))
    return {
        "absolute": f"http://site{draw(st.integers(0, 3))}.test{path}",
        "root": path,
        "relative": f"p{path}",
        "query": f"http://site.test{path}?a=1&b=2",
    }[kind]


@st.composite
def entries(draw: st.DrawFn, fmt: str, oddities: bool = False) -> EntrySpec:
    rss2 = fmt == "rss20"
    dated = fmt in ("rss20", "rss10", "atom03", "atom10")
    tagged = fmt in ("rss20", "rss091", "rss092")
    return EntrySpec(
        title=draw(st.one_of(words, markup(tags=tagged, oddities=oddities))),
        link=draw(links()),
        summary=draw(markup(oddities=oddities)) if fmt != "rss090" else "",
        when=draw(st.one_of(st.none(), moments())) if dated else None,
        author=draw(words) if fmt in ("rss20", "atom10") and draw(st.booleans()) else "",
        title_as_dc=fmt in ("rss20", "rss10") and draw(st.booleans()),
        link_as_guid=rss2 and draw(st.booleans()),
        summary_as_content=rss2 and draw(st.booleans()),
        summary_as_children=rss2 and draw(st.booleans()),
        date_element=draw(
            st.sampled_from(["pubDate", "dc:date", "dcterms:issued", "dcterms:modified"])
        )
        if rss2
        else "pubDate",
        author_as_dc=rss2 and draw(st.booleans()),
        base=draw(st.sampled_from([None, None, None, "http://base.test/b/"]))
        if fmt in ("rss20", "atom10")
        else None,
        extras=tuple(draw(st.lists(extra_elements(), max_size=3))) if rss2 and oddities else (),
    )


@st.composite
def feeds(
    draw: st.DrawFn, formats: tuple[str, ...] = FORMATS, *, oddities: bool = False
) -> FeedSpec:
    """A feed in one of `formats`; `oddities` adds text feedparser rewrites (differential
    property only: those feeds are written in UTF-8, the only charset that carries them all)."""
    fmt = draw(st.sampled_from(formats))
    return FeedSpec(
        format=fmt,
        charset="utf-8" if oddities else draw(st.sampled_from(CHARSETS)),
        entries=tuple(draw(st.lists(entries(fmt, oddities), max_size=4))),
        channel_base=draw(st.sampled_from([None, None, None, "http://chan.test/c/"]))
        if fmt in ("rss20", "atom10")
        else None,
    )


def expected(spec: FeedSpec, feed_url: str = FEED_URL) -> list[Expected]:
    """What a faithful reader finds: plain-text titles and summaries, absolute links, times."""
    found = []
    for entry in spec.entries:
        base = urljoin(urljoin(feed_url, spec.channel_base or ""), entry.base or "")
        url = urljoin(base, entry.link)
        title = plain_text(entry.title) or url
        found.append(Expected(url, title, plain_text(entry.summary), _second(entry.when)))
    return found


def _second(when: datetime | None) -> datetime | None:
    return None if when is None else when.astimezone(UTC).replace(microsecond=0)


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A generated feed cut short or with some bytes changed: anything a server might send."""
    body = render(draw(feeds()))
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    for _ in range(draw(st.integers(0, 4))):
        if body:
            at = draw(st.integers(0, len(body) - 1))
            body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
    return body
