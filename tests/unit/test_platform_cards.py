"""Cards with buttons, and the platforms' sizes, through the real plugins to the stand-ins (which
refuse what the platforms refuse: WeCom markdown over 4,096 bytes or text over 2,048 with 45002,
DingTalk over 20,000 bytes, Feishu over 20 KB): an alert's actions are buttons (WeCom markdown
links, a DingTalk actionCard, a Feishu interactive card); `format=text` keeps the plain text;
a message too long for the platform is shortened with a link to the case, and delivered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifications.channels import send
from notifications.envelope import Button, Envelope, Section
from yuqing.standins import DingTalkStandIn, FeishuStandIn, WeComStandIn

CASE = "https://yq.example.gov.cn/cases/12"
BUTTONS = (
    Button("签收", "https://yq.example.gov.cn/l/ack~1"),
    Button("完成", "https://yq.example.gov.cn/l/complete~1"),
)


def alert(lines: int = 3, *, sections: int = 1) -> Envelope:
    parts = tuple(
        Section(
            heading=f"【一级舆情】快报已超时：案件{12 + n}",
            lines=tuple(
                f"第{k}行：某中学食堂饭菜变质，家长在网上投诉，情况说明" for k in range(lines)
            ),
            buttons=BUTTONS,
            compact=f"{12 + n}号 某中学食堂：快报已超时",
            link=CASE,
        )
        for n in range(sections)
    )
    text = "\n".join(line for s in parts for line in (s.heading, *s.lines))
    return Envelope(title=parts[0].heading, text=text, sections=parts, more=CASE)


@pytest.fixture
def wecom() -> Iterator[WeComStandIn]:
    with WeComStandIn() as server:
        yield server


def delivered(url: str, envelope: Envelope) -> bool:
    attempts = send(url, title=envelope.title, body=envelope.text, envelope=envelope)
    return [a.outcome.value for a in attempts] == ["delivered"]


def test_wecom_shows_the_actions_as_links_in_markdown(wecom: WeComStandIn) -> None:
    assert delivered(wecom.add_bot("k1"), alert())
    got = wecom.received[0]
    assert got.payload["msgtype"] == "markdown" and got.buttons == tuple(
        (b.label, b.url) for b in BUTTONS
    )


def test_format_text_keeps_the_plain_text(wecom: WeComStandIn) -> None:
    wecom.add_bot("k2")
    envelope = alert()
    assert delivered(wecom.url("k2", format="text"), envelope)
    got = wecom.received[0]
    assert got.payload["msgtype"] == "text" and got.text == envelope.text


@pytest.mark.parametrize(("fmt", "limit"), [("markdown", 4096), ("text", 2048)])
def test_a_long_message_is_shortened_with_a_link_to_the_case_never_refused(
    wecom: WeComStandIn, fmt: str, limit: int
) -> None:
    wecom.add_bot("k3")
    url = wecom.url("k3", **({"format": "text"} if fmt == "text" else {}))
    assert delivered(url, alert(lines=200, sections=30))
    got = wecom.received[0]
    assert len(got.text.encode()) <= limit and CASE in got.text
    assert "另有" in got.text or "12号 某中学食堂" in got.text
    assert wecom.refused == []


def test_dingtalk_sends_one_alert_as_an_action_card_with_buttons() -> None:
    with DingTalkStandIn() as dingtalk:
        assert delivered(dingtalk.add_robot("tok", secret="SECx"), alert())
        got = dingtalk.received[0]
        assert got.payload["msgtype"] == "actionCard"
        assert got.buttons == tuple((b.label, b.url) for b in BUTTONS)
        assert delivered(dingtalk.url("tok", secret="SECx"), alert(lines=2000, sections=40))
        assert len(dingtalk.received) == 2 and dingtalk.refused == []


def test_feishu_sends_an_interactive_card_with_buttons_and_fits_20kb() -> None:
    with FeishuStandIn() as feishu:
        assert delivered(feishu.add_bot("tok-1", secret="s1"), alert())
        got = feishu.received[0]
        assert got.payload["msg_type"] == "interactive"
        assert got.buttons == tuple((b.label, b.url) for b in BUTTONS)
        assert delivered(feishu.url("tok-1", secret="s1"), alert(lines=3000, sections=40))
        assert feishu.refused == [] and CASE in feishu.received[1].text
