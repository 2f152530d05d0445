"""Pure parts of collection: canonical URLs, topic matching, feed parsing, opening grades."""

from __future__ import annotations

import pytest

from models.parse.entries import FeedError, FeedItem
from models.parse.feeds import parse_feed
from models.parse.text import fold
from models.parse.topics import Topic, match_folded
from models.parse.urls import canonical_url
from models.repo.items import opening_grade
from models.store.presets import default_policy
from tests.support.configs import rss


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTP://Forum.Example.CN/t/1?utm_source=wx&id=3#reply",
            "http://forum.example.cn/t/1?id=3",
        ),
        ("https://a.cn:443/x?b=2&a=1&spm=abc", "https://a.cn/x?a=1&b=2"),
        ("https://a.cn", "https://a.cn/"),
        ("https://www.A.cn/x/?from=timeline&isappinstalled=0", "https://a.cn/x"),
        ("urn:yuqing:hotline:42", "urn:yuqing:hotline:42"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


SCHOOL = Topic(id="school", include_any=("学校", "ＡＢＣ中学"), exclude=("招生广告",))


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("某学校食堂问题", True),
        ("abc中学 门口拥堵", True),  # full-width and case folded
        ("学校 招生广告", False),  # excluded
        ("天气晴", False),
    ],
)
def test_match_topic(text: str, matched: bool) -> None:
    assert (match_folded(fold(text), [SCHOOL]) is SCHOOL) is matched


def test_parse_feed_reads_metrics_and_skips_items_without_link() -> None:
    body = rss([("学校食堂", "/t/1", 3200, 12)]).replace(
        b"</channel>", b"<item><title>no link</title></item></channel>"
    )
    parsed = parse_feed(body)
    assert [(i.title, i.clicks, i.comments) for i in parsed.items] == [("学校食堂", 3200, 12)]
    assert parsed.entries == 2
    assert parsed.problems == {"no link (skipped)": 1, "no time (fetch time used)": 1}


def test_parse_feed_refuses_a_non_feed() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"<html><body><p>not a feed")


@pytest.mark.parametrize(
    ("clicks", "comments", "hint", "grade"),
    [
        (3200, 0, None, "g1"),
        (1500, 0, None, "g2"),
        (0, 120, None, "g2"),
        (10, 1, None, "g3"),
        (10, 1, "二级", "g2"),  # the topic's hint raises a quiet item
        (3200, 0, "三级", "g1"),  # but never lowers what the metrics call for
    ],
)
def test_opening_grade(clicks: int, comments: int, hint: str | None, grade: str) -> None:
    item = FeedItem(
        url="http://x/1", title="t", summary="", published_at=None, clicks=clicks, comments=comments
    )
    topic = Topic(id="t", include_any=("t",), grade_hint=hint)
    assert opening_grade(item, topic, default_policy()) == grade
