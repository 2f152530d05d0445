"""Tried from outside as an office would: a stand-in served over TLS with a self-signed
certificate (as a platform reached at its own host name through a test resolver would be), the
channel pointed at it with the documented `api=` option and `verify=no`. A refusal is never
recorded as delivered; without `verify=no` the certificate is refused before anything is sent;
and a run of sends reuses one kept-alive connection instead of a TLS handshake per message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notifications.channels import send
from tests.support.tls import self_signed
from yuqing.standins import DingTalkStandIn, FeishuStandIn, WeComStandIn


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def wecom(certificate: tuple[Path, Path]) -> Iterator[WeComStandIn]:
    with WeComStandIn(tls=certificate) as server:
        yield server


def outcomes(url: str) -> list[tuple[str, str | None]]:
    attempts = send(url, title="【一级舆情】快报已超时：案件1", body="测试", sleep=lambda _s: None)
    return [(a.outcome.value, a.code) for a in attempts]


def test_over_tls_with_verify_no_the_platforms_code_still_decides(wecom: WeComStandIn) -> None:
    url = wecom.add_bot("tlskey01")
    assert url.startswith("wecombot://tlskey01?api=https://127.0.0.1:") and "verify=no" in url
    assert outcomes(url) == [("delivered", "0")]
    wecom.answer_next({"errcode": 93000, "errmsg": "invalid webhook url"})
    assert outcomes(url) == [("rejected", "93000")]
    assert outcomes(wecom.url("nosuchkey")) == [("rejected", "93000")]  # a real refusal too
    assert len(wecom.received) == 1


def test_without_verify_no_a_self_signed_certificate_is_refused_and_nothing_sent(
    wecom: WeComStandIn,
) -> None:
    wecom.add_bot("tlskey02")
    url = f"wecombot://tlskey02?api={wecom.api}"
    attempts = send(url, title="t", body="b", sleep=lambda _s: None)
    assert {a.outcome.value for a in attempts} == {"refused"}
    assert attempts[0].reason == "TLS 证书无效" and not wecom.received


def test_the_signing_platforms_over_tls(certificate: tuple[Path, Path]) -> None:
    with DingTalkStandIn(tls=certificate) as dingtalk, FeishuStandIn(tls=certificate) as feishu:
        assert outcomes(dingtalk.add_robot("tlstoken", secret="SECtls01")) == [("delivered", "0")]
        assert outcomes(dingtalk.url("tlstoken")) == [("rejected", "310000")]  # unsigned
        assert outcomes(feishu.add_bot("tls-token", secret="tlssecret")) == [("delivered", "0")]
        assert outcomes(feishu.url("tls-token", secret="other")) == [("rejected", "19021")]


def test_sends_to_one_bot_reuse_one_kept_alive_connection(wecom: WeComStandIn) -> None:
    url = wecom.add_bot("tlskey03")
    for _ in range(5):
        assert outcomes(url) == [("delivered", "0")]
    assert len(wecom.received) == 5 and wecom.connections == 1


def test_rto_and_cto_keep_their_meaning_on_the_platform_plugins(wecom: WeComStandIn) -> None:
    """A platform that answers after the read timeout: unknown (it took the message; no blind
    repeat); a port nobody listens on: refused at connect, tried again within the send."""
    url = wecom.add_bot("slowkey") + "&rto=0.3"
    wecom.delay = 1.5
    attempts = send(url, title="t", body="b", sleep=lambda _s: None)
    assert [(a.outcome.value, a.reason) for a in attempts] == [("unknown", "读取超时")]
    assert len(wecom.to("slowkey")) == 1  # it arrived all the same
    wecom.delay = 0.0
    closed = "wecombot://anykey?api=http://127.0.0.1:9&cto=0.5"
    refused = send(closed, title="t", body="b", sleep=lambda _s: None)
    assert [a.outcome.value for a in refused] == ["refused"] * 3
    assert refused[0].reason == "连接被拒绝"
