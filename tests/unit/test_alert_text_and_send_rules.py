"""Alert text in both languages, the merged message of a storm, and the escalation settings that
refuse what DESIGN §5 forbids (holding 一级 in quiet hours). The send-retry predicate's truth
table is `tests/unit/test_delivery_rules.py`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from models.policy.states import Chain
from notifications.render import AlertFacts, render_alert, render_batch
from settings import QuietHoursConfig

FACTS = AlertFacts(
    notification_id="n-1",
    case_id=7,
    case_title="某中学食堂投诉",
    grade_label="一级",
    obligation_title="快报",
    due_at=datetime(2026, 11, 22, 1, 30, tzinfo=UTC),
    late_by=timedelta(minutes=-7),
    level=0,
    level_label="到期前提醒：责任人",
    recipient_name="王芳",
    chain=Chain.REMINDER,
)


def test_reminder_in_chinese_and_english() -> None:
    subject, body = render_alert(FACTS, tz=ZoneInfo("Asia/Shanghai"))
    assert subject == "【一级舆情】快报即将到期：案件7"
    assert "截止 2026-11-22 09:30，剩余 7分钟" in body and "通知编号：n-1" in body
    subject, body = render_alert(FACTS, tz=ZoneInfo("Asia/Shanghai"), language="en")
    assert subject == "[一级] due soon: 快报 — case 7"
    assert "due 2026-11-22 09:30, 7 min left" in body and "Notification id: n-1" in body


def test_a_provisional_due_time_says_so() -> None:
    """A deadline in a year whose holiday arrangement is unknown is marked 暂定 in the alert."""
    provisional = replace(FACTS, provisional=True)
    _, body = render_alert(provisional, tz=ZoneInfo("Asia/Shanghai"))
    assert "截止 2026-11-22 09:30（暂定：该年度节假日安排未知），剩余 7分钟" in body
    _, body = render_alert(provisional, tz=ZoneInfo("Asia/Shanghai"), language="en")
    assert "due 2026-11-22 09:30 (provisional), 7 min left" in body
    assert "暂定" not in render_alert(FACTS, tz=ZoneInfo("Asia/Shanghai"))[1]


def test_a_merged_message_keeps_every_alert_and_id() -> None:
    one = render_alert(FACTS, tz=ZoneInfo("Asia/Shanghai"))
    assert render_batch([one]) == one
    subject, body = render_batch([one, one])
    assert subject == "【舆情督办】2条提醒（合并发送）" and body.count("通知编号：n-1") == 2


def test_quiet_hours_may_never_hold_grade_one() -> None:
    with pytest.raises(ValidationError, match="never be held"):
        QuietHoursConfig(grades=["三级", "一级"])
