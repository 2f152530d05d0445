"""Property-based tests of the feed parser and canonical URLs, a modest number of examples each
(`bench/fuzz.py` runs the same properties longer): the fast path agrees with feedparser field by
field whenever it accepts a document, and accepts every ordinary RSS 2.0 feed; every format
(RSS 0.90–2.0, Atom 0.3/1.0) in every charset (UTF-8, GBK, Big5, UTF-16/32) reads what was
written; mangled bytes are parsed or refused with FeedError, nothing else; canonical URLs are
stable and never shared by two hosts."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.parse.rss import read_rss
from models.parse.unsupported import Unsupported
from models.parse.urls import _assemble, canonical_url, resolve_link
from tests.support.feedgen import FEED_URL, FeedSpec, feeds, mangled
from tests.support.feedrender import render
from tests.support.properties import (
    check_canonical,
    check_fast_path_agrees,
    check_parse_survives,
    check_reads_what_was_written,
    urls,
)

SUITE = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_fast_path_agrees_with_feedparser() -> None:
    tally: Counter[str] = Counter()

    @SUITE
    @given(feeds(formats=("rss20",), oddities=True))
    def agree(spec: FeedSpec) -> None:
        check_fast_path_agrees(spec, tally)

    agree()
    # Both branches were exercised: documents read by the fast path and compared field by field,
    # and documents it handed to feedparser.
    assert tally["read by the fast path"] and tally["handed to feedparser"]
    assert tally["title compared"] == tally["title agreed"] > 0


@SUITE
@given(feeds(formats=("rss20",)))
def test_the_fast_path_reads_every_ordinary_rss_feed(spec: FeedSpec) -> None:
    """Everything but what upsets feedparser's bookkeeping: a <div> element in an item."""
    utf8 = render(spec).decode(spec.charset).split("?>", 1)[1].encode("utf-8")
    if any(e.summary_as_children and "<div>" in e.summary for e in spec.entries):
        with pytest.raises(Unsupported, match="<div>"):
            read_rss(utf8, base=FEED_URL)
    else:
        read_rss(utf8, base=FEED_URL)


@SUITE
@given(feeds())
def test_every_format_and_charset_reads_what_was_written(spec: FeedSpec) -> None:
    check_reads_what_was_written(spec)


@SUITE
@given(mangled())
def test_mangled_bytes_are_parsed_or_refused(body: bytes) -> None:
    check_parse_survives(body)


@SUITE
@given(urls, urls)
def test_canonical_urls_keep_their_hosts(first: str, second: str) -> None:
    check_canonical(first, second)


@SUITE
@given(st.one_of(urls, st.text(max_size=40), st.from_regex(r"https?://[a-z.]+/[ -~]{0,20}")))
def test_resolving_a_link_is_urljoin(link: str) -> None:
    """The shortcut for absolute links changes nothing urljoin would."""
    for base in ("http://feeds.test/dir/feed.xml", "https://b.test/"):
        assert resolve_link(link, base) == urljoin(base, link.strip()) or not link.strip()


@SUITE
@given(urls)
def test_the_quick_canonical_form_is_the_full_one(url: str) -> None:
    """canonical_url's shortcut for plain URLs builds what the urlsplit path builds."""
    parts = urlsplit(url)
    slow = _assemble(
        parts.scheme.lower(), (parts.hostname or "").lower(), parts.port, parts.path, parts.query
    )
    assert canonical_url(url) == slow
