"""The data of `bench/reports.py`: an office with twenty responsible units, and a year (2026) of
cases spread over January to November with their items, deadlines (on time, late, unmet,
pending, cancelled), acknowledgements, alerts and delivery attempts, accountability records and
judgements, grade changes, approval requests and referrals; written with plain multi-row
inserts. Deterministic (a seeded generator)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import SQLModel

from models.store.db import session_scope
from models.store.tables import (
    AccountabilityJudgement,
    AccountabilityRecord,
    ApprovalRequest,
    Case,
    CaseEvent,
    Delivery,
    Item,
    Notification,
    Obligation,
    Referral,
)
from tasks.runtime import Runtime

START = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 1 January 2026 in Shanghai
SPAN_MINUTES = 334 * 24 * 60  # to the end of November
AS_OF = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
CHUNK = 50_000
UNITS = [f"u{n}" for n in range(1, 21)]
CATEGORIES = ["inquiry", "hype", "rumour", "suggestion", "corruption", None]
CHANNELS = ["wecom", "mail", "sms", "dingtalk"]
# key, minutes after the anchor it is due, owner role
RULES = {
    "g1": [
        ("quick_report", 30, "office_staff"),
        ("written_report", 60, "office_staff"),
        ("first_response", 180, "office_staff"),
        ("contact_sheet", 30, "office_staff"),
        ("verification", 180, "unit_responsible"),
        ("handling_completed", 7200, "unit_responsible"),
        ("press_conference", 1440, "office_head"),
    ],
    "g2": [
        ("quick_report", 60, "office_staff"),
        ("written_report", 240, "office_staff"),
        ("first_response", 300, "office_staff"),
        ("contact_sheet", 60, "office_staff"),
        ("verification", 720, "unit_responsible"),
        ("handling_completed", 7200, "unit_responsible"),
    ],
    "g3": [
        ("quick_report", 120, "office_staff"),
        ("first_response", 1440, "office_staff"),
        ("authoritative_info", 2880, "office_staff"),
        ("contact_sheet", 120, "office_staff"),
        ("verification", 1440, "unit_responsible"),
        ("handling_completed", 7200, "unit_responsible"),
    ],
}


def write_config(directory: Path, url: str) -> Path:
    people = [("wangfang", "office", "office_staff"), ("chenjun", "office", "office_head")]
    people += [(f"p{u}", u, "unit_responsible") for u in UNITS]
    text = f'[general]\ndata_dir = "data"\n\n[database]\nurl = "{url}"\n\n'
    text += '[[sources]]\nid = "forum"\nname = "本地论坛"\nurl = "http://127.0.0.1:9/x"\n\n'
    text += '[[units]]\nid = "office"\nname = "办公室"\n\n'
    text += "".join(f'[[units]]\nid = "{u}"\nname = "单位{u[1:]}"\n\n' for u in UNITS)
    text += "".join(
        f'[[people]]\nid = "{p}"\nname = "{p}"\nunit = "{u}"\nroles = ["{r}"]\n'
        f'channels = ["{p}_hook"]\n\n'
        for p, u, r in people
    )
    (directory / "yuqing.toml").write_text(text, encoding="utf-8")
    hooks = "".join(f'{p}_hook = "json://127.0.0.1:9/{p}"\n' for p, _, _ in people)
    (directory / "secrets.toml").write_text(f"[channels]\n{hooks}", encoding="utf-8")
    return directory / "yuqing.toml"


def _at(rng: random.Random, start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=rng.randrange(minutes))


def fill(runtime: Runtime, *, cases: int, deliveries: int) -> dict[str, int]:
    rng = random.Random(2026)
    counts = {"cases": 0, "obligations": 0, "items": 0, "deliveries": 0, "records": 0}
    case_rows: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    obligations: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for case_id in range(1, cases + 1):
        found = _case(rng, case_id)
        case_rows.append(found)
        if rng.random() < 0.9:
            items.append(_item(case_id, found["discovered_at"]))
        for row in _obligations(rng, found, len(obligations) + counts["obligations"] + 1):
            obligations.append(row)
            if row["level"] and rng.random() < 0.3:
                records.append(_record(row, counts["records"] + len(records) + 1))
        if len(obligations) >= CHUNK:
            _flush(runtime, Case, case_rows, counts, "cases")
            _flush(runtime, Item, items, counts, "items")
            _flush(runtime, Obligation, obligations, counts, "obligations")
            _flush(runtime, AccountabilityRecord, records, counts, "records")
    _flush(runtime, Case, case_rows, counts, "cases")
    _flush(runtime, Item, items, counts, "items")
    _flush(runtime, Obligation, obligations, counts, "obligations")
    _flush(runtime, AccountabilityRecord, records, counts, "records")
    _decisions(runtime, rng, cases, counts["records"])
    _deliveries(runtime, rng, cases, deliveries, counts)
    return counts


def _flush(
    runtime: Runtime,
    table: type[SQLModel],
    rows: list[dict[str, Any]],
    counts: dict[str, int],
    name: str,
) -> None:
    if rows:
        with session_scope(runtime.engine) as session:
            session.execute(insert(table), rows)
        counts[name] += len(rows)
        rows.clear()


def _case(rng: random.Random, case_id: int) -> dict[str, Any]:
    discovered = _at(rng, START, SPAN_MINUTES)
    grade = rng.choices(["g1", "g2", "g3"], weights=[1, 3, 6])[0]
    units = rng.sample(UNITS, rng.choice([0, 1, 1, 2]))
    closed = discovered + timedelta(minutes=rng.randrange(60, 14 * 24 * 60))
    is_closed = rng.random() < 0.9 and closed < AS_OF
    return {
        "id": case_id,
        "title": f"案件{case_id}：某单位网上舆情",
        "stage": "closed" if is_closed else "tracking",
        "grade": grade,
        "policy_id": "default",
        "category": rng.choice(CATEGORIES),
        "units": units,
        "lead_unit_id": units[0] if units else None,
        "outcome": "subsided" if is_closed else None,
        "discovered_at": discovered,
        "created_at": discovered,
        "updated_at": discovered,
        "closed_at": closed if is_closed else None,
    }


def _item(case_id: int, at: datetime) -> dict[str, Any]:
    url = f"http://forum.test/{case_id}"
    return {
        "source_id": "forum",
        "canonical_url": url,
        "url": url,
        "title": f"帖子{case_id}",
        "summary": "",
        "fetched_at": at,
        "case_id": case_id,
        "site": "forum.test",
        "media_level": "local",
        "clicks": 10,
        "comments": 1,
        "reposts": 0,
    }


def _obligations(
    rng: random.Random, case: dict[str, Any], first_id: int
) -> Iterator[dict[str, Any]]:
    for n, (key, minutes, role) in enumerate(RULES[case["grade"]]):
        anchor = case["discovered_at"] + timedelta(minutes=10 * n)
        due = anchor + timedelta(minutes=minutes)
        status, done, level = _outcome(rng, case, due)
        yield {
            "id": first_id + n,
            "case_id": case["id"],
            "key": key,
            "title": key,
            "owner_role": role,
            "anchor": "discovery",
            "anchor_at": anchor,
            "clock": "wall",
            "due_at": due,
            "provisional": False,
            "status": status,
            "level": level,
            "completed_at": done,
            "acked_at": anchor + timedelta(minutes=rng.randrange(1, 120))
            if rng.random() < 0.5
            else None,
        }


def _outcome(
    rng: random.Random, case: dict[str, Any], due: datetime
) -> tuple[str, datetime | None, int]:
    roll = rng.random()
    if case["closed_at"] is None and roll < 0.4:
        return "open", None, 1 if due < AS_OF else 0
    if roll < 0.05:
        return "cancelled", None, rng.choice([0, 1])
    done = due + timedelta(minutes=rng.randrange(-120, 60))
    return "completed", done, 1 if done > due else 0


def _record(row: dict[str, Any], record_id: int) -> dict[str, Any]:
    return {
        "id": record_id,
        "case_id": row["case_id"],
        "obligation_id": row["id"],
        "obligation_title": row["title"],
        "owner_role": row["owner_role"],
        "responsible": ["wangfang"],
        "level": 1,
        "due_at": row["due_at"],
        "recorded_at": row["due_at"] + timedelta(minutes=1),
        "late_seconds": 60,
        "flagged": True,
    }


def _decisions(runtime: Runtime, rng: random.Random, cases: int, records: int) -> None:
    events, approvals, referrals, judgements = [], [], [], []
    for n in range(cases // 20):
        at = _at(rng, START, SPAN_MINUTES)
        case_id = rng.randrange(1, cases + 1)
        before, after = rng.sample(["g1", "g2", "g3"], 2)
        events.append(
            {
                "case_id": case_id,
                "at": at,
                "kind": "grade_changed",
                "actor": "system",
                "message": "等级变更",
                "data": {"from": before, "to": after, "reason": ""},
            }
        )
        kind = rng.choice(["extension", "extension", "downgrade"])
        status = rng.choice(["approved", "rejected", "pending"])
        approvals.append(
            {
                "case_id": case_id,
                "kind": kind,
                "grade": "g2",
                "requested_by": "wangfang",
                "requested_at": at,
                "reason": "",
                "payload": {},
                "status": status,
                "decided_by": None if status == "pending" else "chenjun",
                "decided_at": None if status == "pending" else at + timedelta(hours=1),
                "note": "",
            }
        )
        if n % 2 == 0:
            body = rng.choice(["public_security", "discipline", "cyberspace_office", "propaganda"])
            referrals.append(
                {"case_id": case_id, "body": body, "note": "", "referred_by": "wangfang", "at": at}
            )
    for record_id in range(1, records + 1, 3):
        judgements.append(
            {
                "record_id": record_id,
                "justified": record_id % 2 == 0,
                "reason": "核实",
                "consequence": "",
                "judged_by": "chenjun",
                "judged_at": AS_OF,
            }
        )
    with session_scope(runtime.engine) as session:
        for table, rows in (
            (CaseEvent, events),
            (ApprovalRequest, approvals),
            (Referral, referrals),
            (AccountabilityJudgement, judgements),
        ):
            if rows:
                session.execute(insert(table), rows)


def _deliveries(
    runtime: Runtime, rng: random.Random, cases: int, deliveries: int, counts: dict[str, int]
) -> None:
    notifications = deliveries // 4
    for start in range(0, notifications, CHUNK // 4):
        alerts, attempts = [], []
        for n in range(start, min(notifications, start + CHUNK // 4)):
            channel, at = rng.choice(CHANNELS), _at(rng, START, SPAN_MINUTES)
            nid = f"{n:08d}-0000-0000-0000-000000000000"
            alerts.append(
                {
                    "id": nid,
                    "key": f"bench:{n}",
                    "case_id": rng.randrange(1, cases + 1),
                    "level": 1,
                    "recipient_id": "wangfang",
                    "channel": channel,
                    "subject": "催办",
                    "body": "",
                    "status": "sent",
                    "attempts": 4,
                    "created_at": at,
                    "due_at": at,
                    "chain": "no_completion",
                }
            )
            for attempt in range(1, 5):
                attempts.append(
                    {
                        "notification_id": nid,
                        "attempt": attempt,
                        "channel": channel,
                        "at": at + timedelta(seconds=attempt),
                        "ok": attempt == 4 or rng.random() < 0.5,
                        "detail": "",
                    }
                )
        with session_scope(runtime.engine) as session:
            session.execute(insert(Notification), alerts)
            session.execute(insert(Delivery), attempts)
        counts["deliveries"] += len(attempts)
