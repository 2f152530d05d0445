"""When the item was posted (网民发帖) and when the event occurred (舆情发生), as a person gives
them at registration (the CLI's `--posted-at`/`--occurred-at`, the console's 人工登记 form): the
anchors a policy's deadlines count from (S1-12: 24 h from the posting; S1-4 §13: 30 min from the
occurrence). An ISO time, no zone meaning the office's; not after the registration and not
older than the horizon; a bad value is refused naming the field. Standard library only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy.forms import FieldRefused, FormField, parse_time

__all__ = ["OCCURRED_AT", "POSTED_AT", "TIME_FIELDS", "registration_times"]

POSTED_AT = FormField("posted_at", "发帖时间", "datetime", required=False)
OCCURRED_AT = FormField("occurred_at", "事件发生时间", "datetime", required=False)
TIME_FIELDS = (POSTED_AT, OCCURRED_AT)


def registration_times(
    form: Mapping[str, str | None], tz: ZoneInfo, *, now: datetime, within: timedelta
) -> dict[str, datetime]:
    """The times given in `form` by field name (an empty value is not given)."""
    found: dict[str, datetime] = {}
    for field in TIME_FIELDS:
        text = (form.get(field.name) or "").strip()
        if not text:
            continue
        moment = parse_time(text, tz, field=field, now=now, within=within)
        if moment > now:
            raise FieldRefused(
                f"字段 {field.name}（{field.label}）不能晚于登记时间 "
                f"{now.astimezone(tz):%Y-%m-%d %H:%M}：{text[:40]!r}"
            )
        found[field.name] = moment
    return found
