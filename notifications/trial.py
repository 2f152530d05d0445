"""Trying a channel (`yuqing channels test NAME [--to PERSON]`): one real test message through
the channel's Apprise URL, in the platform's rich form where it is a platform's (the person, if
named, @mentioned in a group; their mobile for SMS), every attempt with the platform's answer;
the outcome is folded into the channel's health like any send, so a channel that has delivered
its test no longer counts as never having delivered."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from models.policy.breaker import BreakerRule
from notifications.channels import Attempt, is_group_url, send
from notifications.envelope import Envelope, Mention, Section, SmsVars
from notifications.health import SendResult, record


def trial_envelope(channel: str, *, to: Mention | None, at: str, link: str | None) -> Envelope:
    title = f"【测试】舆情督办渠道测试：{channel}"
    lines = ("这是一条测试消息，用于确认本渠道可以送达，无需处理。", f"发送时间：{at}")
    who = f"请 {to.name} 确认收到" if to else ""
    text = "\n".join([title, *lines, *([who] if who else [])])
    section = Section(
        heading=title,
        lines=lines,
        compact=f"渠道测试：{channel}（{at}）",
        link=link,
        names=(to.name,) if to else (),
    )
    sms = SmsVars(case="测试", item="渠道测试", due=at, link=link or "")
    return Envelope(
        title=title,
        text=text,
        sections=(section,),
        mentions=(to,) if to else (),
        more=link,
        sms=sms,
        group=False,
    )


def try_channel(url: str, envelope: Envelope) -> tuple[Attempt, ...]:
    rich = replace(envelope, group=is_group_url(url))
    return send(url, title=envelope.title, body=envelope.text, envelope=rich)


def record_trial(
    session: Session,
    channel: str,
    attempts: tuple[Attempt, ...],
    *,
    at: datetime,
    rule: BreakerRule,
) -> None:
    last = attempts[-1]
    result = SendResult(channel, last.ok, False, at, last.outcome.value, last.reason, last.code)
    record(session, [result], rule=rule)
