"""A fixture month for the report tests: November 2026 in an office with two responsible units,
seven cases played in time order on a moved clock through the public functions (items ingested
from a feed source, an intake source and by hand; stage events; deadlines completed; grades
changed; acknowledgements; real sweeps that lapse deadlines and write accountability records),
so that every figure of the month is known by construction (`tests/db/test_report_month.py`
spells them out).

The columns the case-lifecycle work (issue 9) fills with its own functions (responsible units,
lead unit, outcome; referrals; approval requests) are set by `lifecycle_columns_until_issue_9`;
switch it to `yuqing case dispatch|refer|close` and the approval functions once they land."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.parse.entries import FeedItem
from models.policy.stages import StageEvent
from models.policy.states import ApprovalKind, ApprovalStatus, ObligationStatus
from models.repo.cases import get_case
from models.repo.items import StoreContext, store_items
from models.repo.lifecycle import advance, cancel_open, settle
from models.repo.obligations import acknowledge
from models.repo.registration import register_manual_item
from models.repo.regrade import regrade
from models.store.db import session_scope
from models.store.tables import ApprovalRequest, Referral
from tasks.escalation import sweep
from tasks.runtime import Runtime, context_for, prepare
from yuqing.localservers import WebhookReceiver

T = TypeVar("T")
TZ = ZoneInfo("Asia/Shanghai")
PEOPLE = (  # id, name, unit, roles
    ("wangfang", "王芳", "office", ["office_staff"]),
    ("liqiang", "李强", "office", ["leader_in_charge"]),
    ("zhaomin", "赵敏", "office", ["duty_officer"]),
    ("chenjun", "陈军", "office", ["principal_leader", "office_head"]),
    ("sunli", "孙力", "office", ["group_head"]),
    ("liuyang", "刘洋", "edu", ["unit_responsible"]),
    ("zhoujie", "周杰", "health", ["unit_responsible"]),
)
AS_OF_LOCAL = (2026, 12, 1, 9, 0)  # the monthly run for November


def local(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A Shanghai wall-clock time as the aware UTC instant the database keeps."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def write_month_config(
    directory: Path,
    *,
    database_url: str,
    receiver: WebhookReceiver,
    extra: str = "",
    extra_secrets: str = "",
    channels: Mapping[str, str] | None = None,
) -> Path:
    """The office's yuqing.toml and secrets.toml: everyone on `receiver` unless `channels` gives
    a person another Apprise URL; `extra` and `extra_secrets` add lines to each file."""
    people = "".join(
        f'[[people]]\nid = "{pid}"\nname = "{name}"\nunit = "{unit}"\nroles = {roles!r}\n'
        f'channels = ["{pid}_hook"]\n\n'.replace("'", '"')
        for pid, name, unit, roles in PEOPLE
    )
    config = directory / "yuqing.toml"
    config.write_text(
        f'[general]\ndata_dir = "data"\n\n[database]\nurl = "{database_url}"\n\n'
        '[policy]\npreset = "default"\n\n'
        '[reports]\noffice_name = "区委网信办"\nphone = "0571-1234"\n\n'
        '[[sources]]\nid = "forum"\nname = "本地论坛"\nurl = "http://127.0.0.1:9/forum.xml"\n\n'
        '[[sources]]\nid = "wxb"\nkind = "intake"\nname = "网信办转办"\n\n'
        '[[topics]]\nid = "school"\nname = "学校"\ninclude_any = ["学校", "中学"]\n\n'
        '[[units]]\nid = "office"\nname = "办公室"\n\n[[units]]\nid = "edu"\nname = "教育局"\n\n'
        '[[units]]\nid = "health"\nname = "卫健委"\n\n' + people + extra,
        encoding="utf-8",
    )
    urls = {pid: receiver.apprise_url("/hook/" + pid) for pid, *_ in PEOPLE} | dict(channels or {})
    secrets = "".join(f'{pid}_hook = "{url}"\n' for pid, url in urls.items())
    (directory / "secrets.toml").write_text(
        f"{extra_secrets}\n[channels]\n{secrets}", encoding="utf-8"
    )
    return config


def lifecycle_columns_until_issue_9(
    session: Session,
    case_id: int,
    *,
    units: Sequence[str] = (),
    lead: str | None = None,
    outcome: str | None = None,
    referrals: Sequence[tuple[str, datetime]] = (),
    approvals: Sequence[tuple[ApprovalKind, ApprovalStatus, datetime, datetime | None]] = (),
) -> None:
    """Set what the lead's lifecycle functions will set: the case's responsible units, lead
    unit and outcome, its referrals (body, at) and approval requests (kind, status, asked,
    decided). Replace with the public functions once issue 9 lands."""
    case = get_case(session, case_id)
    if units:
        case.units, case.lead_unit_id = list(units), lead
    if outcome is not None:
        case.outcome = outcome
    session.add(case)
    for body, at in referrals:
        session.add(Referral(case_id=case_id, body=body, referred_by="wangfang", at=at))
    for kind, status, asked, decided in approvals:
        session.add(
            ApprovalRequest(
                case_id=case_id,
                kind=kind,
                grade=case.grade,
                requested_by="wangfang",
                requested_at=asked,
                reason="",
                status=status,
                decided_by="chenjun" if decided else None,
                decided_at=decided,
            )
        )


@dataclass
class Month:
    runtime: Runtime
    ids: dict[str, int] = field(default_factory=dict)  # c1 … c7 → case id
    records: list[int] = field(default_factory=list)

    @property
    def as_of(self) -> datetime:
        return datetime(*AS_OF_LOCAL, tzinfo=TZ).astimezone(UTC)

    def do(self, work: Callable[[Session], T]) -> T:
        with session_scope(self.runtime.engine) as session:
            return work(session)

    def ingest(
        self, name: str, source: str, title: str, clicks: int, at: datetime, category: str
    ) -> None:
        rt = self.runtime
        item = FeedItem(
            url=f"http://{source}.test/{name}",
            title=title,
            summary=f"{title}，网友关注。",
            published_at=at,
            clicks=clicks,
            comments=clicks // 40,
            site=f"{source}.test",
            external_id=None,
        )
        intake = self.do(
            lambda s: store_items(
                s,
                items=[item],
                ctx=StoreContext(
                    source_id=source,
                    topics=rt.topics,
                    policy=rt.policy,
                    calendar=rt.calendar,
                    now=at,
                    force_case=True,
                    category=category,
                ),
            )
        )
        self._opened(name, types.SimpleNamespace(case_id=next(iter(intake.item_cases.values()))))

    def manual(self, name: str, title: str, at: datetime, category: str) -> None:
        rt = self.runtime
        intake = self.do(
            lambda s: register_manual_item(
                s,
                title=title,
                text=f"{title}（群众来电）",
                actor="wangfang",
                topics=rt.topics,
                policy=rt.policy,
                calendar=rt.calendar,
                now=at,
                category=category,
            )
        )
        self._opened(name, intake)

    def _opened(self, name: str, intake: object) -> None:
        case_id = getattr(intake, "case_id", None)
        assert isinstance(case_id, int) and case_id not in self.ids.values(), (name, intake)
        self.ids[name] = case_id

    def stage(self, name: str, event: StageEvent, at: datetime) -> None:
        rt = self.runtime
        self.do(
            lambda s: advance(
                s,
                case_id=self.ids[name],
                event=event,
                actor="wangfang",
                at=at,
                policy=rt.policy,
                calendar=rt.calendar,
            )
        )
        if event is StageEvent.close:  # closing ends the chase of what is left
            self.do(
                lambda s: cancel_open(
                    s, case_id=self.ids[name], actor="wangfang", at=at, keep=("review",)
                )
            )

    def done(self, name: str, key: str, at: datetime) -> None:
        self.do(
            lambda s: settle(
                s,
                case_id=self.ids[name],
                keys=[key],
                status=ObligationStatus.COMPLETED,
                actor="wangfang",
                at=at,
            )
        )

    def ack(self, name: str, key: str, at: datetime) -> None:
        self.do(
            lambda s: acknowledge(
                s, case_id=self.ids[name], actor="wangfang", at=at, obligation_key=key
            )
        )

    def regrade(
        self, name: str, grade: str, at: datetime, actor: str | None, approver: str | None = None
    ) -> None:
        rt = self.runtime
        reason = "指标越档" if actor is None else "事态平稳，申请降级"
        self.do(
            lambda s: regrade(
                s,
                case_id=self.ids[name],
                grade=grade,
                actor=actor,
                reason=reason,
                at=at,
                policy=rt.policy,
                calendar=rt.calendar,
                approver=approver,
            )
        )

    def columns(self, name: str, **values: object) -> None:
        self.do(lambda s: lifecycle_columns_until_issue_9(s, self.ids[name], **values))  # type: ignore[arg-type]

    def sweep(self, at: datetime) -> None:
        rt = self.runtime
        sweep(rt.engine, now=at, ctx=context_for(rt), batch_size=200)


def play_month(config: Path) -> Month:
    """November 2026 (and the cases around it), in time order; see the module docstring."""
    m = Month(prepare(str(config)))
    E = StageEvent
    # c6: a 二级 case of October, closed in October; its handling and review fall due in November.
    m.ingest("c6", "forum", "区实验小学午餐供应延误", 1200, local(10, 26, 9), "inquiry")
    m.stage("c6", E.report, local(10, 26, 9, 10))
    m.done("c6", "written_report", local(10, 26, 9, 15))
    m.stage("c6", E.assess, local(10, 26, 9, 20))
    m.stage("c6", E.dispatch, local(10, 26, 9, 40))
    m.stage("c6", E.verify, local(10, 26, 10))
    m.stage("c6", E.approve_statement, local(10, 26, 10, 10))
    m.stage("c6", E.respond, local(10, 26, 10, 30))
    m.done("c6", "authoritative_info", local(10, 26, 11))
    m.stage("c6", E.track, local(10, 26, 12))
    m.columns(
        "c6",
        units=["edu"],
        lead="edu",
        outcome="completed",
        referrals=[("public_security", local(10, 28, 10))],
        approvals=[
            (ApprovalKind.EXTENSION, ApprovalStatus.APPROVED, local(10, 27, 9), local(10, 27, 10))
        ],
    )
    m.stage("c6", E.close, local(10, 29, 17))
    # c5: a 一级 case opened on 30 October, closed on 2 November.
    m.ingest("c5", "forum", "某局干部涉嫌违规收受礼金", 3500, local(10, 30, 20), "corruption")
    m.stage("c5", E.report, local(10, 30, 20, 10))
    m.done("c5", "written_report", local(10, 30, 20, 15))
    m.stage("c5", E.assess, local(10, 30, 20, 20))
    m.stage("c5", E.dispatch, local(10, 30, 20, 40))
    m.done("c5", "first_response", local(10, 30, 22))
    m.done("c5", "authoritative_info", local(10, 30, 22, 30))
    m.stage("c5", E.verify, local(10, 30, 23))
    m.done("c5", "press_conference", local(10, 31, 10))
    m.stage("c5", E.approve_statement, local(10, 31, 10, 30))
    m.stage("c5", E.respond, local(10, 31, 11))
    m.stage("c5", E.track, local(10, 31, 12))
    m.columns(
        "c5",
        units=["health"],
        lead="health",
        outcome="eliminated",
        referrals=[("discipline", local(11, 1, 10))],
    )
    m.stage("c5", E.close, local(11, 2, 10))
    m.stage("c6", E.review, local(11, 2, 11))
    # c1: a 一级 rumour, 3 November; its first response is late (swept at 12:30).
    m.ingest("c1", "forum", "某中学食堂饭菜变质谣言", 3200, local(11, 3, 9), "rumour")
    m.stage("c1", E.report, local(11, 3, 9, 20))
    m.done("c1", "written_report", local(11, 3, 9, 50))
    m.stage("c1", E.assess, local(11, 3, 10))
    m.stage("c1", E.dispatch, local(11, 3, 10, 20))
    m.sweep(local(11, 3, 12, 30))  # record: c1 first_response
    m.ack("c1", "first_response", local(11, 3, 12, 40))
    m.stage("c1", E.verify, local(11, 3, 13))
    m.stage("c1", E.approve_statement, local(11, 3, 13, 10))
    m.stage("c1", E.respond, local(11, 3, 13, 30))
    m.done("c1", "authoritative_info", local(11, 3, 13, 50))
    m.done("c1", "press_conference", local(11, 4, 8))
    m.stage("c5", E.review, local(11, 4, 9))
    m.stage("c1", E.track, local(11, 5, 10))
    m.columns("c1", units=["edu"], lead="edu", referrals=[("cyberspace_office", local(11, 5, 11))])
    m.stage("c1", E.close, local(11, 6, 16))
    # c2: a 二级 referral from the cyberspace office, 10 November; never closed.
    m.ingest("c2", "wxb", "市民反映某医院挂号难", 1500, local(11, 10, 14), "inquiry")
    m.columns("c2", units=["health", "edu"], lead="health")
    m.stage("c2", E.report, local(11, 10, 15, 30))
    m.stage("c2", E.assess, local(11, 10, 16))
    m.stage("c2", E.dispatch, local(11, 10, 16, 30))
    m.sweep(local(11, 10, 18, 30))  # record: c2 written_report
    m.done("c2", "written_report", local(11, 10, 18, 40))
    m.stage("c2", E.verify, local(11, 11, 4))
    m.columns(
        "c2",
        approvals=[
            (ApprovalKind.EXTENSION, ApprovalStatus.APPROVED, local(11, 11, 8), local(11, 11, 9))
        ],
    )
    m.stage("c2", E.approve_statement, local(11, 11, 9, 30))
    m.stage("c2", E.respond, local(11, 11, 10))
    m.stage("c2", E.track, local(11, 11, 10, 30))
    m.columns(
        "c2",
        approvals=[
            (ApprovalKind.EXTENSION, ApprovalStatus.REJECTED, local(11, 12, 8), local(11, 12, 9))
        ],
    )
    m.sweep(local(11, 12, 10))  # records: c1 review, c2 authoritative_info
    m.stage("c1", E.review, local(11, 13, 9))
    m.columns("c1", outcome="subsided")
    # c3: a 三级 case registered by hand, upgraded on its metrics, later downgraded.
    m.manual("c3", "某街道垃圾清运不及时引发议论", local(11, 20, 9), "hype")
    m.regrade("c3", "g2", local(11, 20, 9, 30), actor=None)
    m.stage("c3", E.report, local(11, 20, 9, 50))
    m.done("c3", "written_report", local(11, 20, 12))
    m.done("c3", "first_response", local(11, 20, 13))
    m.done("c3", "authoritative_info", local(11, 20, 20))
    m.regrade("c3", "g3", local(11, 25, 10), actor="wangfang", approver="chenjun")
    m.columns(
        "c3",
        approvals=[
            (ApprovalKind.DOWNGRADE, ApprovalStatus.APPROVED, local(11, 25, 9), local(11, 25, 10))
        ],
    )
    # c4: a 三级 suggestion registered by hand, 28 November; nothing done.
    m.manual("c4", "网友建议增设校门口护学岗", local(11, 28, 10), "suggestion")
    m.ack("c4", "quick_report", local(11, 28, 10, 30))
    m.columns(
        "c4", approvals=[(ApprovalKind.STATEMENT, ApprovalStatus.PENDING, local(11, 29, 11), None)]
    )
    m.sweep(local(11, 30, 12))  # records: c2 handling_completed, c4 × 3
    # c7: December's first case: in no November figure.
    m.manual("c7", "十二月新登记事项", local(12, 1, 8), "inquiry")
    return m
