"""One send through real Apprise to a real local receiver that misbehaves, every HTTP attempt
told apart by class: refused (nothing arrived) is tried again within the send, a 5xx too, a
4xx is not, and a receiver that got the message but never answered in time, or reset the
connection after reading it, is tried once only (it may have arrived: no blind repeat). The
waits between attempts go through the injected sleep, so nothing here sleeps."""

from __future__ import annotations

from notifications.channels import is_valid_url, privacy_url, send
from notifications.render import NOTIFICATION_ID_RE
from yuqing.localservers import WebhookReceiver

BODY = "提醒\n通知编号：00000000-0000-0000-0000-000000000001"


def attempt_table(url: str | None) -> tuple[list[tuple[str, int | None]], list[float]]:
    waits: list[float] = []
    attempts = send(url, title="【一级舆情】快报已超时", body=BODY, sleep=waits.append)
    return [(a.outcome.value, a.status) for a in attempts], waits


def test_delivered_at_once(receiver: WebhookReceiver) -> None:
    table, waits = attempt_table(receiver.apprise_url("/ok"))
    assert (table, waits) == ([("delivered", None)], [])
    assert NOTIFICATION_ID_RE.findall(receiver.received[0].json()["message"]) == [
        "00000000-0000-0000-0000-000000000001"
    ]


def test_refused_is_tried_three_times_with_growing_waits(receiver: WebhookReceiver) -> None:
    url = receiver.apprise_url("/down")
    receiver.refuse()
    table, waits = attempt_table(url)
    assert (table, waits) == ([("refused", None)] * 3, [0.2, 0.4])


def test_a_5xx_is_busy_and_tried_again_within_the_send(receiver: WebhookReceiver) -> None:
    receiver.flap([500, 503])
    table, waits = attempt_table(receiver.apprise_url("/flap"))
    assert table == [("busy", 500), ("busy", 503), ("delivered", None)]
    assert waits == [0.2, 0.4] and len(receiver.received) == 1


def test_a_4xx_is_rejected_without_a_second_try(receiver: WebhookReceiver) -> None:
    receiver.fail_with(404)
    assert attempt_table(receiver.apprise_url("/gone")) == ([("rejected", 404)], [])
    receiver.fail_with(429)
    assert attempt_table(receiver.apprise_url("/slow-down"))[0] == [("busy", 429)] * 3


def test_an_answer_after_the_timeout_is_unknown_and_not_repeated(
    receiver: WebhookReceiver,
) -> None:
    receiver.slow(1.5)
    table, waits = attempt_table(receiver.apprise_url("/slow") + "?rto=0.3")
    assert (table, waits) == ([("unknown", None)], [])
    assert receiver.copies("/slow", "00000000-0000-0000-0000-000000000001") == 1  # it arrived


def test_a_reset_after_reading_is_unknown_and_not_repeated(receiver: WebhookReceiver) -> None:
    receiver.reset_after_read()
    table, _ = attempt_table(receiver.apprise_url("/reset"))
    assert table == [("unknown", None)]
    assert receiver.copies("/reset", "00000000-0000-0000-0000-000000000001") == 1


def test_no_url_or_a_url_apprise_cannot_use_is_invalid_and_nothing_is_sent() -> None:
    assert attempt_table(None) == ([("invalid", None)], [])
    assert attempt_table("nosuchscheme://x") == ([("invalid", None)], [])
    assert not is_valid_url("nosuchscheme://x")


def test_the_privacy_form_hides_the_token() -> None:
    url = "wecombot://0123456789abcdef0123456789abcdef"
    assert is_valid_url(url) and "0123456789abcdef0123456789abcdef" not in privacy_url(url)
