"""What the dispatcher records when a send fails on the person's last channel, every channel
having failed (`after_send`'s GIVE_UP): the alert is not given up. It starts over on the
person's first channel after a back-off that doubles with each round (`models.policy.
unreachable`), under the same notification id, until it is delivered or `dispatch.give_up_after`
has passed since every channel first failed; the case's timeline says so; and the person is
noted as unreachable (`models.repo.unreachable`), which the escalation runbook then tells the
office roles and the duty officer about. Only after the time allowed is the alert `failed`
(stuck, for people to act on)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.policy.faults import lasted
from models.policy.sending import OUTCOME_LABELS, format_seconds
from models.policy.states import EventKind, NotificationStatus
from models.policy.unreachable import start_over_at
from notifications.channels import Attempt
from notifications.claimed import Alert, Message
from settings import Dispatch


def exhausted(alert: Alert, message: Message, ended: datetime, options: Dispatch) -> dict[str, Any]:
    """The outbox row's new values: back to the first channel after the round's back-off, or
    `failed` once the time allowed has passed."""
    since = alert.unreachable_since or ended
    rounds = alert.rounds + 1
    restart = start_over_at(
        rounds=rounds,
        since=since,
        ended=ended,
        give_up_after=options.give_up_after,
        base=timedelta(seconds=options.retry_base_seconds),
        cap=timedelta(seconds=options.retry_cap_seconds),
    )
    values: dict[str, Any] = {"unreachable_since": since, "rounds": rounds}
    if restart is None:
        return {**values, "status": NotificationStatus.FAILED}
    channels = alert.channels or message.channels  # a group message carries several people
    first = channels[0] if channels else alert.channel
    return {
        **values,
        "status": NotificationStatus.PENDING,
        "channel": first,
        "attempts": 0,
        "next_attempt_at": restart,
    }


def exhausted_entry(
    message: Message, alert: Alert, values: dict[str, Any], last: Attempt, ended: datetime
) -> dict[str, Any]:
    """The case's timeline entry: every channel failed; when it is tried again, or that it no
    longer is (people must reach the person)."""
    name = alert.recipient_name or message.recipient_name
    to = f"致 {name} 的所有渠道均发送失败（{OUTCOME_LABELS[last.outcome]}）"
    rounds, since = values["rounds"], values["unreachable_since"]
    if values["status"] == NotificationStatus.FAILED:
        text = f"{to}：已重试 {lasted(ended - since)}，不再重试，请人工联系"
    else:
        wait = format_seconds(values["next_attempt_at"] - ended)
        text = f"{to}：{wait}后从 {values['channel']} 重新发送（第{rounds}轮，同一通知编号）"
        if rounds == 1:
            text += "；将告知办公室与值班人员此人暂时无法联系"
    return {
        "case_id": alert.case_id,
        "at": ended,
        "kind": EventKind.DELIVERY_FAILED,
        "actor": "system",
        "message": text,
        "data": {
            "notification": alert.id,
            "recipient": alert.recipient_id,
            "exhausted": True,
            "rounds": rounds,
            "retry_at": None
            if values.get("next_attempt_at") is None
            else values["next_attempt_at"].isoformat(),
            "outcome": last.outcome.value,
        },
    }
