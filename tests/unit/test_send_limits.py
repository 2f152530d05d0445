"""The send limits as pure rules: a sliding window counts what was sent in the last span and
frees when enough has aged out; several windows together leave the least; due alerts go one a
message while what may go now covers them, else merged as full as a message may be (never more
than it may name), so the rest of the limit stays for what follows; a shared bot keeps a
quarter of its limit back for the next batch of a storm; and a channel's settings replace its
platform's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.policy.limits import ENDPOINT_LIMITS, Budget, Window, budget, split_sizes
from models.policy.platforms import Platform
from notifications.endpoints import endpoint_of
from settings import Dispatch, EndpointLimit

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def ago(*seconds: float) -> list[datetime]:
    return [NOW - timedelta(seconds=s) for s in seconds]


def test_a_minute_window_counts_the_last_minute_and_frees_when_the_oldest_ages_out() -> None:
    wecom = (Window(20, 60),)
    assert budget(wecom, ago(*range(1, 15)), now=NOW) == Budget(6)
    assert budget(wecom, ago(70, 80, 90), now=NOW) == Budget(20)  # older than the window
    full = ago(*range(1, 21))  # 20 in the last 20 seconds
    assert budget(wecom, full, now=NOW) == Budget(
        0, NOW - timedelta(seconds=20) + timedelta(seconds=60)
    )


def test_two_windows_leave_the_least_and_free_when_both_do() -> None:
    feishu = ENDPOINT_LIMITS[Platform.FEISHU]  # 100 a minute and 5 a second
    assert budget(feishu, ago(0.1, 0.2, 0.3), now=NOW).now == 2
    assert budget(feishu, ago(*[0.1] * 5), now=NOW).now == 0
    busy_minute = ago(*[30.0] * 100)
    assert budget(feishu, busy_minute, now=NOW) == Budget(0, NOW + timedelta(seconds=30))
    assert (Budget(3) & Budget(0, NOW)) == Budget(0, NOW)


def test_alerts_go_one_a_message_within_the_limit_and_merged_beyond_it() -> None:
    assert split_sizes(5, Budget(20), most=12) == [1] * 5
    assert split_sizes(100, Budget(20), most=12) == [12] * 8 + [4]  # all named, now
    assert split_sizes(300, Budget(20), most=12) == [12] * 20  # the rest when the minute frees
    assert split_sizes(7, Budget(3), most=12) == [7]
    assert split_sizes(25, Budget(4), most=20) == [13, 12]
    assert split_sizes(7, Budget(0, NOW), most=12) == []


def test_a_channels_settings_replace_its_platforms_limits() -> None:
    url = "wecombot://key01"
    assert endpoint_of("bot", url, Dispatch()).windows == (Window(20, 60.0),)
    mine = Dispatch(limits={"bot": EndpointLimit(per_second=2, per_minute=10)})
    assert endpoint_of("bot", url, mine).windows == (Window(2, 1.0), Window(10, 60.0))
    assert endpoint_of("hook", "json://127.0.0.1:9/x", Dispatch()).windows == ()
    sms = endpoint_of("sms", "aliyunsms://K:S@SMS_1/?sign=x", Dispatch())
    assert sms.windows == () and sms.per_recipient[0] == Window(1, 60.0) and not sms.group
    assert endpoint_of("bot", url + "?group=no", Dispatch()).group is False
    assert endpoint_of("bot", url, Dispatch()).group is True


def test_a_shared_bot_keeps_a_quarter_of_its_limit_for_the_next_batch_of_lapses() -> None:
    from models.policy.limits import reserve_of

    reserve = reserve_of((Window(20, 60),))
    assert reserve == 5
    assert split_sizes(15, Budget(20), most=12, reserve=reserve) == [1] * 15
    # the sweep's batches of a storm, 20 lapses each: every batch told at once, in two messages
    budget_left = 20
    for _ in range(5):
        sizes = split_sizes(20, Budget(budget_left), most=12, reserve=reserve)
        assert sizes == [10, 10]
        budget_left -= len(sizes)
    assert budget_left == 10
