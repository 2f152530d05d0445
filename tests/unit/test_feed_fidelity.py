"""Feeds as feedparser reads them: the fast RSS 2.0 path takes a permalink guid as the link, reads
dc:title, dc:creator, dc:date and dcterms dates and content:encoded, flattens markup in
descriptions, and returns exactly what feedparser returns on the same bytes; titles are plain
text; links resolve against xml:base and the feed's own URL, and one that still has no host is
refused with a reason; canonical URLs keep their host."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.parse.entries import FeedItem
from models.parse.feeds import parse_feed, parse_utf8, parse_with_feedparser
from models.parse.rss import read_rss
from models.parse.rss_dates import rss_date
from models.parse.unsupported import Unsupported
from models.parse.urls import canonical_url, link_problem

FEED = "http://news.example.cn/feeds/rss.xml"
NS = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
)


def rss(items: str, *, channel: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {NS}><channel{channel}>'
        f"<title>新闻</title>{items}</channel></rss>"
    ).encode()


def fields(item: FeedItem) -> tuple[object, ...]:
    return (item.url, item.title, item.summary, item.published_at, item.author)


def both_paths(body: bytes, base: str | None = FEED) -> list[tuple[object, ...]]:
    """The items of `body` by the fast path, checked equal to feedparser's."""
    utf8 = body.split(b"?>", 1)[1]
    read_rss(utf8, base=base)  # the fast path accepts it (raises Unsupported otherwise)
    fast = [fields(i) for i in parse_utf8(utf8, base_url=base).items]
    assert fast == [fields(i) for i in parse_with_feedparser(utf8, base_url=base).items]
    return fast


def test_a_permalink_guid_is_the_link_and_a_plain_guid_is_not() -> None:
    body = rss(
        "<item><title>甲</title><guid>http://a.cn/1</guid></item>"
        '<item><title>乙</title><guid isPermaLink="false">tag:a.cn,2026:2</guid></item>'
        '<item><title>丙</title><link>http://a.cn/3</link><guid isPermaLink="true">'
        "http://a.cn/other</guid></item>"
    )
    assert [(url, title) for url, title, *_ in both_paths(body)] == [
        ("http://a.cn/1", "甲"),
        ("http://a.cn/3", "丙"),
    ]
    assert parse_feed(body, base_url=FEED).problems == {
        "no link (skipped)": 1,
        "no time (fetch time used)": 2,
    }


def test_dublin_core_title_author_and_dates() -> None:
    body = rss(
        "<item><dc:title>某中学食堂问题</dc:title><link>http://a.cn/1</link>"
        "<dc:creator>记者 王芳</dc:creator><dc:date>2026-11-23T09:30:00+08:00</dc:date></item>"
        "<item><title>二</title><link>http://a.cn/2</link>"
        "<dcterms:modified>2026-11-23T02:00:00Z</dcterms:modified>"
        "<dcterms:issued>2026-11-22T02:00:00Z</dcterms:issued></item>"
        "<item><title></title><dc:title>空标题之后</dc:title><link>http://a.cn/3</link>"
        "<pubDate>Mon, 23 Nov 2026 10:00:00 +0800</pubDate></item>"
    )
    assert both_paths(body) == [
        (
            "http://a.cn/1",
            "某中学食堂问题",
            "",
            datetime(2026, 11, 23, 1, 30, tzinfo=UTC),
            "记者 王芳",
        ),
        ("http://a.cn/2", "二", "", datetime(2026, 11, 22, 2, 0, tzinfo=UTC), None),
        ("http://a.cn/3", "空标题之后", "", datetime(2026, 11, 23, 2, 0, tzinfo=UTC), None),
    ]


def test_descriptions_are_flattened_and_content_encoded_is_read() -> None:
    body = rss(
        "<item><title>一</title><link>http://a.cn/1</link>"
        "<description>家长<b>反映</b>食堂<p>饭菜变质</p>尾</description></item>"
        "<item><title>二</title><link>http://a.cn/2</link>"
        "<content:encoded><![CDATA[<p>全文<script>x()</script>内容</p>]]></content:encoded></item>"
        "<item><title>三</title><link>http://a.cn/3</link>"
        "<content:encoded>全文</content:encoded><description>&lt;i&gt;摘要&lt;/i&gt;</description>"
        "</item>"
    )
    assert [summary for _, _, summary, *_ in both_paths(body)] == [
        "家长反映食堂 饭菜变质 尾",
        "全文内容",
        "摘要",
    ]


def test_titles_are_plain_text() -> None:
    body = rss(
        "<item><title>&lt;b&gt;某中学&lt;/b&gt;  食堂 &amp;amp; 宿舍\n 问题</title>"
        "<link>http://a.cn/1</link></item>"
        "<item><title><![CDATA[<em>转发</em>：学校&nbsp;门口]]></title><link>http://a.cn/2</link>"
        "</item>"
    )
    assert [title for _, title, *_ in both_paths(body)] == [
        "某中学 食堂 & 宿舍 问题",
        "转发：学校 门口",
    ]


def test_relative_links_resolve_against_xml_base_and_the_feed_url() -> None:
    body = rss(
        "<item><title>一</title><link>/t/1</link></item>"
        "<item><title>二</title><link>t/2</link></item>"
        '<item xml:base="http://other.cn/board/"><title>三</title><link>t/3</link></item>',
        channel=' xml:base="http://news.example.cn/bbs/"',
    )
    assert [url for url, *_ in both_paths(body)] == [
        "http://news.example.cn/t/1",
        "http://news.example.cn/bbs/t/2",
        "http://other.cn/board/t/3",
    ]
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://atom.cn/a/"><title>t</title>'
        '<entry><title>四</title><link href="p/4"/><id>x</id></entry></feed>'
    ).encode()
    assert [i.url for i in parse_feed(atom, base_url=FEED).items] == ["http://atom.cn/a/p/4"]


def test_a_link_without_a_host_is_refused_with_a_reason() -> None:
    body = rss(
        "<item><title>一</title><link>http:/t/1</link></item>"
        "<item><title>二</title><link>/t/2</link></item>"
    )
    both_paths(body, base=None)  # (feedparser, like the fast path, keeps them as they are)
    parsed = parse_feed(body)  # no feed URL to resolve against
    assert parsed.items == []
    assert parsed.problems["bad link (skipped): 链接没有主机名"] == 1
    assert parsed.problems["bad link (skipped): 链接不是 http(s) 地址"] == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http:///path", "链接没有主机名"),
        ("/relative", "链接不是 http(s) 地址"),
        ("javascript:alert(1)", "链接不是 http(s) 地址"),
        ("http://a.cn/a b", "链接含空白、控制字符或无效字符"),
        ("http://a.cn:99999/x", "链接格式错误"),
        ("http://a.cn/" + "x" * 3000, "链接过长（超过 2048 个字符）"),
        ("http://a.cn/x", None),
        ("urn:yuqing:hotline:42", None),
    ],
)
def test_link_problem(url: str, problem: str | None) -> None:
    assert link_problem(url) == problem


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://a.cn/x", "http://b.cn/x"),
        ("http://a.cn/x", "http://a.cn:8080/x"),
        ("http://[::1]/x", "http://[::2]/x"),
        ("http://user@a.cn/x", "http://user.a.cn/x"),
    ],
)
def test_canonical_urls_of_different_hosts_differ(first: str, second: str) -> None:
    assert canonical_url(first) != canonical_url(second)


def test_canonical_url_refuses_a_url_without_a_host() -> None:
    with pytest.raises(ValueError, match="链接没有主机名"):
        canonical_url("http:///t/1")


@pytest.mark.parametrize(
    "text",
    ["Mon, 23 Nov 2026 10:00:00 CST", "2026年11月23日", "Mon, 31 Feb 2026 10:00:00 GMT"],
)
def test_a_date_the_fast_path_does_not_know_goes_to_feedparser(text: str) -> None:
    with pytest.raises(Unsupported):
        rss_date(text)
    body = rss(f"<item><title>一</title><link>http://a.cn/1</link><pubDate>{text}</pubDate></item>")
    utf8 = body.split(b"?>", 1)[1]
    assert parse_utf8(utf8) == parse_with_feedparser(utf8)


def test_an_item_holding_a_div_goes_to_feedparser() -> None:
    """A <div> element upsets feedparser's bookkeeping: it carries the item's xml:base on into
    the next item, and reads a second author differently (both found by the differential
    fuzz). The fast path steps aside, so the two never disagree."""
    body = rss(
        '<item xml:base="http://base.cn/b/"><title>一</title><link>http://a.cn/1</link>'
        "<description><div>正文</div></description></item>"
        "<item><title>二</title><link>/t/2</link></item>"
    )
    utf8 = body.split(b"?>", 1)[1]
    with pytest.raises(Unsupported, match="<div>"):
        read_rss(utf8, base=FEED)
    assert parse_utf8(utf8, base_url=FEED) == parse_with_feedparser(utf8, base_url=FEED)


def test_an_unknown_reference_inside_child_markup_goes_to_feedparser() -> None:
    """Text `AT&T;` in a child element (escaped `&amp;` in the XML): feedparser's sanitiser
    mends the `&T;` its own way, so the fast path steps aside (found by the long fuzz)."""
    body = rss(
        "<item><title>一</title><link>http://a.cn/1</link>"
        "<description><p>AT&amp;T;</p></description></item>"
    )
    utf8 = body.split(b"?>", 1)[1]
    with pytest.raises(Unsupported, match="unknown character reference"):
        read_rss(utf8, base=FEED)
    assert parse_utf8(utf8, base_url=FEED) == parse_with_feedparser(utf8, base_url=FEED)
