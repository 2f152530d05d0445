"""Pure collection rules: near-duplicate signatures and their index, topic terms (any, all,
exclude, traditional and full-width text), monitoring-gap decisions, sensitive-period
intervals, JSON mappings and case metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.parse.dedup import LshIndex, signature, similarity
from models.parse.entries import FeedError
from models.parse.jsonapi import parse_json
from models.parse.text import fold
from models.parse.topics import Topic, match_folded
from models.policy import MediaLevel
from models.policy.monitoring import Outcome, SourceHealth, assess
from models.policy.schedule import Period, active_period, interval_for, is_due
from models.policy.spread import ItemFacts, case_metrics, site_of

ORIGINAL = "某中学食堂饭菜变质，多名学生腹泻，家长要求学校给个说法"
REPOST = "转发：某中学食堂饭菜变质，多名学生腹泻，家长要求学校给个说法。太过分了！"
TRADITIONAL = "某中學食堂飯菜變質 多名學生腹瀉 家長要求學校給個說法"
OTHER = "某中学门口交通拥堵，家长接送孩子困难，希望学校协调交警"


def test_reposts_and_traditional_copies_are_similar_other_matters_are_not() -> None:
    base = signature(fold(ORIGINAL))
    assert similarity(base, signature(fold(REPOST))) >= 0.5
    assert similarity(base, signature(fold(TRADITIONAL))) >= 0.5
    assert similarity(base, signature(fold(OTHER))) < 0.3
    assert signature(fold(ORIGINAL)) == base  # stable: signatures are stored across runs


def test_lsh_index_finds_the_most_similar_above_the_threshold() -> None:
    index = LshIndex(threshold=0.5)
    index.add("a", signature(fold(ORIGINAL)))
    index.add("b", signature(fold(OTHER)))
    found = index.best(signature(fold(REPOST)))
    assert found is not None and found[0] == "a"
    assert index.best(signature(fold("市区今日天气晴朗，气温适宜出行"))) is None
    assert index.best(()) is None


@pytest.mark.parametrize(
    ("topic", "text", "matched"),
    [
        (Topic(id="t", include_all=("食堂", "学校")), "學校食堂問題", True),
        (Topic(id="t", include_all=("食堂", "学校")), "学校门口", False),
        (Topic(id="t", include_any=("征地", "拆迁"), exclude=("广告",)), "拆遷補償", True),
        (Topic(id="t", include_any=("征地", "拆迁"), exclude=("广告",)), "拆迁 廣告", False),
        (Topic(id="t", include_any=("ＡＢＣ",), include_all=("中学",)), "abc 中學", True),
    ],
)
def test_topic_terms(topic: Topic, text: str, matched: bool) -> None:
    assert (match_folded(fold(text), [topic]) is topic) is matched


def test_topic_needs_terms_and_a_known_category() -> None:
    with pytest.raises(ValueError):
        Topic(id="t")
    with pytest.raises(ValueError):
        Topic(id="t", include_any=("x",), category="gossip")


HEALTHY = SourceHealth(0, 0, ever_yielded=True, gap_open=False)


def test_gap_opens_after_n_failures_and_closes_on_the_next_good_run() -> None:
    health, opened = HEALTHY, []
    for _ in range(3):
        decision = assess(health, Outcome.FAILED, yielded=False, threshold=3)
        health = decision.health
        opened.append(decision.open_gap)
    assert opened == [False, False, True] and health.gap_open
    again = assess(health, Outcome.FAILED, yielded=False, threshold=3)
    assert not again.open_gap and again.health.gap_open  # one alert per gap
    back = assess(again.health, Outcome.OK, yielded=True, threshold=3)
    assert back.close_gap and not back.health.gap_open and back.health.consecutive_failures == 0


def test_silence_counts_only_for_a_source_that_has_had_items() -> None:
    new = SourceHealth(0, 0, ever_yielded=False, gap_open=False)
    assert assess(new, Outcome.EMPTY, yielded=False, threshold=1).open_gap is False
    assert assess(HEALTHY, Outcome.EMPTY, yielded=False, threshold=1).open_gap is True


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_sensitive_period_by_local_date_and_faster_interval() -> None:
    gaokao = Period("高考", date(2026, 6, 7), date(2026, 6, 10))
    # 2026-06-06 17:00 UTC is already 06-07 in Shanghai
    assert active_period([gaokao], datetime(2026, 6, 6, 17, tzinfo=UTC), SHANGHAI) == gaokao
    assert active_period([gaokao], datetime(2026, 6, 6, 15, tzinfo=UTC), SHANGHAI) is None
    assert interval_for(300, 60, in_sensitive_period=True) == timedelta(seconds=60)
    assert interval_for(300, 600, in_sensitive_period=True) == timedelta(seconds=300)
    assert interval_for(300, 60, in_sensitive_period=False) == timedelta(seconds=300)


def test_is_due_forgives_schedule_jitter() -> None:
    last = datetime(2026, 1, 1, tzinfo=UTC)
    five = timedelta(minutes=5)
    assert is_due(None, five, last)
    assert is_due(last, five, last + timedelta(seconds=290))
    assert not is_due(last, five, last + timedelta(seconds=200))


def test_json_mapping_reads_nested_fields_and_skips_bad_records() -> None:
    body = (
        '{"data": {"list": [{"id": 7, "t": "學校食堂", "link": "http://x.cn/7",'
        ' "stats": {"pv": "1200"}, "ts": 1767225600},'
        ' {"id": 8, "t": ""}, {"id": 9, "t": "无链接但有编号"}]}}'
    ).encode()
    mapping = {
        "items": "data.list",
        "title": "t",
        "url": "link",
        "clicks": "stats.pv",
        "time": "ts",
    }
    parsed = parse_json(body, mapping, source_id="api")
    assert [(i.title, i.clicks, i.external_id) for i in parsed.items] == [
        ("學校食堂", 1200, "7"),
        ("无链接但有编号", 0, "9"),
    ]
    assert parsed.items[0].published_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert parsed.items[1].url == "urn:yuqing:api:9"
    assert parsed.problems["record without title or link (skipped)"] == 1
    with pytest.raises(FeedError):
        parse_json(b"{not json", {}, source_id="api")


def test_case_metrics_count_sites_once_at_their_most_prominent_level() -> None:
    facts = [
        ItemFacts(site_of("http://www.people.com.cn/a"), "central", 100, 5, 1),
        ItemFacts(site_of("http://people.com.cn/b"), "local", 50, 0, 0),
        ItemFacts(site_of("http://bbs.city.cn/1"), "local", 10, 1, 2),
    ]
    metrics = case_metrics(facts)
    assert (metrics.clicks, metrics.comments, metrics.reposts) == (160, 6, 3)
    assert (metrics.sites, metrics.mainstream_sites) == (2, 1)
    assert metrics.media_level is MediaLevel.central
