"""The SQLModel tables: the organisation (units, people, roles), sources and items, cases with
their append-only timeline, obligations (deadlines), and the notification outbox with its
delivery attempts. Tables hold state only; the rules live in `models.policy`. One module over
300 lines on purpose: it is the schema, 29 short table declarations with no logic, kept in step
with the migrations as one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.policy import Stage
from models.policy.states import (
    ApprovalKind,
    ApprovalStatus,
    Chain,
    EventKind,
    NotificationStatus,
    ObligationStatus,
    RunStatus,
    SourceKind,
    StepStatus,
)
from models.reports.periods import ReportKind
from models.reports.status import ReportStatus
from models.store.columns import TextEnum, UTCTimestamp


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCTimestamp, nullable=nullable, index=index)


class Unit(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    parent_id: str | None = Field(default=None, foreign_key="unit.id")
    external: bool = False  # an outside body (宣传部, 网信办…): reached like anyone, by its people


class Person(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    unit_id: str | None = Field(default=None, foreign_key="unit.id")
    deputy_id: str | None = Field(default=None, max_length=64)
    # Channel ids in order of preference; their Apprise URLs are secrets and never stored here.
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Who the platforms @mention by (group messages), and the number SMS goes to.
    mobile: str | None = Field(default=None, max_length=64)
    wecom_userid: str | None = Field(default=None, max_length=64)
    dingtalk_userid: str | None = Field(default=None, max_length=64)
    feishu_open_id: str | None = Field(default=None, max_length=64)


class RoleAssignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "role", "unit_id", name="uq_role_assignment"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=40, index=True)
    unit_id: str | None = Field(default=None, foreign_key="unit.id")


class Source(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    kind: SourceKind = Field(sa_type=TextEnum(SourceKind))
    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_run_at: datetime | None = _ts(nullable=True)
    last_status: RunStatus | None = Field(default=None, sa_type=TextEnum(RunStatus))
    last_error: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = 0
    consecutive_empty: int = 0  # runs that returned nothing from a source that has had items
    ever_yielded: bool = False  # has returned items at least once: silence then means a gap


class SourceRun(SQLModel, table=True):
    """One collection run of one source: its status, the reason when not ok, and the counts."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    at: datetime = _ts()
    status: RunStatus = Field(sa_type=TextEnum(RunStatus))
    entries: int = 0
    new_items: int = 0
    updated_items: int = 0
    detail: str | None = Field(default=None, sa_type=Text)


class MonitoringGap(SQLModel, table=True):
    """A 监测盲区: a source failing or silent for N runs; open until a good run closes it."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    opened_at: datetime = _ts()
    runs: int
    reason: str = Field(sa_type=Text)
    closed_at: datetime | None = _ts(nullable=True)


class Case(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    stage: Stage = Field(sa_type=TextEnum(Stage))
    grade: str = Field(max_length=32)
    policy_id: str = Field(max_length=64)
    topic_id: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=32)
    # The responsible units (研判); the lead unit (牵头单位) first decides when there are several.
    units: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lead_unit_id: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=32)  # 办结: subsided, eliminated…
    discovered_at: datetime = _ts(index=True)  # reports ask "opened in the period"
    occurred_at: datetime | None = _ts(nullable=True)  # 事件发生 (registration, intake)
    posted_at: datetime | None = _ts(nullable=True)  # 网民发帖 (the item's publication)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)


class Item(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("source_id", "external_id", name="uq_item_source_external"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    canonical_url: str = Field(unique=True)
    url: str
    title: str
    summary: str = Field(default="", sa_type=Text)
    published_at: datetime | None = _ts(nullable=True)
    fetched_at: datetime = _ts()
    topic_id: str | None = Field(default=None, max_length=64)
    clicks: int = 0
    comments: int = 0
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    external_id: str | None = Field(default=None, max_length=200)  # intake / API record id
    author: str | None = None
    site: str = ""  # host or site name: distinct sites count towards the grade
    media_level: str = Field(default="local", max_length=32)
    reposts: int = 0
    # MinHash of the folded text, kept for items in cases so later items can join them.
    signature: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class IntakeReceipt(SQLModel, table=True):
    """A record received at the intake endpoint, by its sender's id: what makes a push
    idempotent, and how a second referral about a stored page reaches that page's item."""

    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_intakereceipt_source_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", max_length=64)
    external_id: str = Field(max_length=200)
    item_id: int = Field(foreign_key="item.id", index=True)
    received_at: datetime = _ts()


class MetricSnapshot(SQLModel, table=True):
    """A case's spread as seen by one collection run; the grade rules run on it."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    at: datetime = _ts()
    items: int
    sites: int
    mainstream_sites: int
    media_level: str = Field(max_length=32)
    clicks: int
    comments: int
    reposts: int
    sensitive_period: bool = False
    grade: str = Field(max_length=32)  # what the rules call for on these metrics


class CaseEvent(SQLModel, table=True):
    """One entry of a case's append-only timeline."""

    # A case page shows its timeline a page at a time, in time order, and its latest grade and
    # stage changes without reading the rest.
    __table_args__ = (
        Index("ix_caseevent_case_at", "case_id", "at", "id"),
        Index("ix_caseevent_case_kind_at", "case_id", "kind", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    at: datetime = _ts()
    kind: EventKind = Field(sa_type=TextEnum(EventKind))
    actor: str = Field(default="system", max_length=64)
    message: str = Field(sa_type=Text)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Obligation(SQLModel, table=True):
    """Something that must happen on a case by a due time, and how far its escalation has gone."""

    __table_args__ = (
        UniqueConstraint("case_id", "key", name="uq_obligation_case_key"),
        # The sweep asks "open and due by now": its cost follows the number due, not pending.
        Index("ix_obligation_status_next_check", "status", "next_check_at"),
        # The board walks open obligations by due time, then looks at each case's own open
        # ones (models.repo.console.board).
        Index("ix_obligation_status_due_case", "status", "due_at", "case_id"),
        Index("ix_obligation_case_status_due", "case_id", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    key: str = Field(max_length=64)
    title: str
    owner_role: str = Field(max_length=40)
    anchor: str = Field(max_length=40)
    anchor_at: datetime = _ts()
    clock: str = Field(max_length=20)
    due_at: datetime = _ts(index=True)  # reports ask "due in the period"
    provisional: bool = False
    status: ObligationStatus = Field(
        default=ObligationStatus.OPEN, sa_type=TextEnum(ObligationStatus)
    )
    level: int = 0  # the highest escalation level already fired
    next_check_at: datetime | None = _ts(nullable=True)
    reminded_at: datetime | None = _ts(nullable=True)  # the 75% reminder fired (or was superseded)
    acked_at: datetime | None = _ts(nullable=True)
    acked_by: str | None = Field(default=None, max_length=64)
    completed_at: datetime | None = _ts(nullable=True)
    completed_by: str | None = Field(default=None, max_length=64)
    # 转办: the person it was handed to; None means the holders of `owner_role`.
    assignee_id: str | None = Field(default=None, max_length=64)


class ApprovalRequest(SQLModel, table=True):
    """A request that needs one approver's decision: a statement (通稿) to approve, a downgrade, an
    extension. The requester is a real person; the decider holds an approving role for the
    case's grade and is never the requester; the change happens only on approval."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: ApprovalKind = Field(sa_type=TextEnum(ApprovalKind))
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id")  # extensions
    grade: str = Field(max_length=32)  # the case's grade when asked: whose approvers decide
    requested_by: str = Field(max_length=64)
    requested_at: datetime = _ts()
    reason: str = Field(default="", sa_type=Text)
    # What is asked: {"text": ...} a statement, {"grade": ...} a downgrade, {"until": ...}.
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: ApprovalStatus = Field(default=ApprovalStatus.PENDING, sa_type=TextEnum(ApprovalStatus))
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _ts(nullable=True)
    note: str = Field(default="", sa_type=Text)


class CaseStep(SQLModel, table=True):
    """A side effect a case change causes (tell the report targets, send the contact sheet, ask
    the approver…), written in the change's own transaction and carried out by the `case` flow,
    one task per step. A failed step keeps the case on the stuck list until a re-run does it."""

    __table_args__ = (Index("ix_casestep_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=40)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: StepStatus = Field(default=StepStatus.PENDING, sa_type=TextEnum(StepStatus))
    created_at: datetime = _ts()
    claimed_at: datetime | None = _ts(nullable=True)
    done_at: datetime | None = _ts(nullable=True)
    attempts: int = 0
    error: str | None = Field(default=None, sa_type=Text)


class Referral(SQLModel, table=True):
    """A case referred to an outside body (公安, 纪检, 网信办, 宣传部), recorded as an outcome."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    body: str = Field(max_length=40)
    note: str = Field(default="", sa_type=Text)
    referred_by: str = Field(max_length=64)
    at: datetime = _ts()


class CaseReview(SQLModel, table=True):
    """总结评估: the review that files a case in the case library (案例库); the latest counts."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    summary: str = Field(sa_type=Text)
    cause: str = Field(sa_type=Text)
    lessons: str = Field(sa_type=Text)
    reviewed_by: str = Field(max_length=64)
    at: datetime = _ts()


class Notification(SQLModel, table=True):
    """The outbox: written in the same transaction as the lapse that causes it, sent later. One
    row per alert and person for its whole life: fall-over moves it to the person's next
    channel under the same id; `key` keeps the channel it was queued for."""

    __table_args__ = (
        # The dispatcher asks "pending and due to (re)try by now".
        Index("ix_notification_status_next_attempt", "status", "next_attempt_at"),
        # ... and then, per person, which alert leaves first (the stored sort key) ...
        Index("ix_notification_recipient_order", "recipient_id", "status", "due_at", "level"),
        # ... and how many messages the person got in the last minute (the rate limit).
        Index("ix_notification_recipient_sent", "recipient_id", "sent_at"),
    )

    id: str = Field(primary_key=True, max_length=36)  # stable notification id, in every message
    key: str = Field(unique=True, max_length=200)  # case:obligation:chain+level:recipient:channel
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)  # None: no case
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id")
    level: int
    recipient_id: str = Field(foreign_key="person.id")
    channel: str = Field(max_length=64)  # where it goes now (fall-over moves it on)
    subject: str
    body: str = Field(sa_type=Text)
    status: NotificationStatus = Field(
        default=NotificationStatus.PENDING, sa_type=TextEnum(NotificationStatus), index=True
    )
    attempts: int = 0  # sends on the current channel (each of up to 3 HTTP attempts)
    created_at: datetime = _ts()
    # The order per person: the due time the alert is about, then its level (then its key).
    due_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    chain: Chain = Field(default=Chain.NO_COMPLETION, sa_type=TextEnum(Chain))
    next_attempt_at: datetime | None = _ts(nullable=True)  # None: send at once
    claimed_at: datetime | None = _ts(nullable=True)  # when it went to `sending`
    claimed_by: str | None = Field(default=None, max_length=80)  # the dispatcher sending it
    http_attempts: int = 0  # every HTTP attempt on every channel: Delivery.attempt numbers
    ack_window_seconds: int | None = None  # None: no no-ack follow-up for this alert
    ack_due_at: datetime | None = _ts(nullable=True, index=True)  # no-ack chain check time
    # A file the message carries ("report:<id>", a stored report); None: none.
    attachment: str | None = Field(default=None, max_length=64)
    # Every channel of the person failed: since when (the first time), and how many times all
    # of them did; the alert starts over on the first channel after a back-off until delivered
    # or `dispatch.give_up_after` has passed since then.
    unreachable_since: datetime | None = _ts(nullable=True)
    rounds: int = 0
    # Its structured form (`notifications.cards`): sections, links, the SMS variables; None:
    # only the text (the message is then shown as text everywhere).
    card: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AccountabilityRecord(SQLModel, table=True):
    """Evidence of one lapse for people to judge (who, what, due, how late; "done" is the
    obligation's `completed_at`); flagged for review, never a verdict."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    obligation_title: str
    owner_role: str = Field(max_length=40)
    responsible: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    level: int
    due_at: datetime = _ts()
    recorded_at: datetime = _ts(index=True)
    late_seconds: int
    flagged: bool = True  # for review by people


class AccountabilityJudgement(SQLModel, table=True):
    """A person's judgement of one accountability record (问责研判): justified or not, why, what
    they propose; append-only, the latest counts. The machine never writes one."""

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="accountabilityrecord.id", index=True)
    justified: bool
    reason: str = Field(sa_type=Text)
    consequence: str = Field(default="", max_length=20)  # models.reports.status.Consequence
    judged_by: str = Field(max_length=64)
    judged_at: datetime = _ts()


class StoredReport(SQLModel, table=True):
    """A built report, kept so it can be fetched and sent again: its kind and period (or its
    case, for a quick report), the file itself, and how building it went. `key` makes a
    scheduled run that runs twice build one report."""

    __table_args__ = (
        Index("ix_storedreport_status_created", "status", "created_at"),
        UniqueConstraint("issue_year", "issue_no", name="uq_storedreport_issue"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    kind: ReportKind = Field(sa_type=TextEnum(ReportKind))
    label: str = Field(max_length=64)
    period_start: datetime | None = _ts(nullable=True)
    period_end: datetime | None = _ts(nullable=True)
    unit_id: str | None = Field(default=None, max_length=64)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    format: str = Field(max_length=8)
    filename: str = Field(max_length=200)
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    size: int = 0
    status: ReportStatus = Field(default=ReportStatus.PENDING, sa_type=TextEnum(ReportStatus))
    error: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    requested_by: str = Field(default="schedule", max_length=64)
    created_at: datetime = _ts()
    built_at: datetime | None = _ts(nullable=True)
    send_requested_at: datetime | None = _ts(nullable=True)  # its sending was asked for
    # A quick report's issue number (期号, numbered by year): given once, kept on re-export.
    issue_year: int | None = None
    issue_no: int | None = None
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Delivery(SQLModel, table=True):
    """One HTTP attempt to deliver a notification (retries within a send included), with its
    own time and what the channel answered."""

    # The per-endpoint limits count a channel's recent sends.
    __table_args__ = (Index("ix_delivery_channel_at", "channel", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notification.id", index=True)
    attempt: int  # 1, 2, ... over every channel
    at: datetime = _ts(index=True)  # when the attempt started; reports count them by period
    channel: str = Field(max_length=64)
    ok: bool
    detail: str = Field(default="", sa_type=Text)
    outcome: str = Field(default="", max_length=20)  # models.policy.sending.Outcome
    http_status: int | None = None
    elapsed_ms: int | None = None
    late_seconds: float | None = None  # `at` - the alert's due time (negative: before it)
    dispatcher: str | None = Field(default=None, max_length=80)
    code: str | None = Field(default=None, max_length=64)  # the platform's own code, if any


class Dispatcher(SQLModel, table=True):
    """A dispatcher process (or thread) that claims outbox rows: alive while it beats. Rows
    `sending` under a claimer that stopped beating are taken over by the others."""

    id: str = Field(primary_key=True, max_length=80)  # host:pid:random
    host: str = Field(max_length=200)
    pid: int
    started_at: datetime = _ts()
    beat_at: datetime = _ts(index=True)


class ChannelHealth(SQLModel, table=True):
    """A channel's health (the circuit breaker of `models.policy.breaker`), and its counts."""

    channel: str = Field(primary_key=True, max_length=64)
    state: str = Field(default="up", max_length=20)  # models.policy.breaker.ChannelState
    failures: int = 0  # failed sends in a row
    retry_at: datetime | None = _ts(nullable=True)
    backoff_seconds: float = 0.0
    probe_by: str | None = Field(default=None, max_length=80)
    probe_at: datetime | None = _ts(nullable=True)
    last_ok_at: datetime | None = _ts(nullable=True)
    last_failure_at: datetime | None = _ts(nullable=True)
    last_outcome: str | None = Field(default=None, max_length=20)  # of the last failure
    last_reason: str | None = Field(default=None, max_length=200)
    last_code: str | None = Field(default=None, max_length=64)  # the platform's, of that failure
    down_since: datetime | None = _ts(nullable=True)
    sent: int = 0  # sends delivered, ever
    failed: int = 0  # sends failed, ever
    updated_at: datetime | None = _ts(nullable=True)


class LinkUse(SQLModel, table=True):
    """A signed action link that has acted: its nonce is unique, so a link works once. Written
    in the same transaction as the action, so two racing clicks cannot both act."""

    nonce: str = Field(primary_key=True, max_length=64)
    at: datetime = _ts()
    action: str = Field(max_length=20)
    recipient: str = Field(max_length=64)
    case_id: int = Field(index=True)
    obligation_key: str = Field(max_length=64)


class LinkAttempt(SQLModel, table=True):
    """Every time a signed link was opened or submitted, allowed or refused, and why (the audit
    record; never the token or the key)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    outcome: str = Field(max_length=20)  # viewed | acted | refused
    reason: str = Field(default="", sa_type=Text)
    action: str | None = Field(default=None, max_length=20)
    recipient: str | None = Field(default=None, max_length=64)
    case_id: int | None = Field(default=None, index=True)
    obligation_key: str | None = Field(default=None, max_length=64)


class SignInAttempt(SQLModel, table=True):
    """Every console sign-in attempt, whatever its outcome (the audit record, and what the
    throttle counts): `pending` while the password is being checked, then `signed_in` or
    `refused`; `throttled` and `bad_csrf` are answered without checking it. Never the password."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    username: str = Field(max_length=64, index=True)  # as typed (unknown accounts too)
    address: str = Field(max_length=64, index=True)  # the client's, as the server saw it
    outcome: str = Field(max_length=20)
    reason: str = Field(default="", sa_type=Text)


class WebSession(SQLModel, table=True):
    """A signed-in console session. The cookie holds only a random id; this row holds its
    SHA-256 (a read of the table gives no usable cookie), who, until when, a fingerprint of the
    password hash it was opened under (a changed password ends it) and how it ended."""

    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64)
    password_tag: str = Field(max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)
    ended_reason: str = Field(default="", max_length=40)


class Unreachable(SQLModel, table=True):
    """A person none of whose channels delivers: since when, the latest failure, and whether
    the office roles and the duty officer were told (and, once an alert reached the person
    again, told that too). Gone once both are told, or at once when the person was reached
    again before anyone was told."""

    person_id: str = Field(primary_key=True, foreign_key="person.id", max_length=64)
    since: datetime = _ts()
    last_failure_at: datetime = _ts()
    told_at: datetime | None = _ts(nullable=True)
    reached_at: datetime | None = _ts(nullable=True)  # an alert reached them again


class LastRun(SQLModel, table=True):
    """When something that runs over and over last ran, by name ("sweep"), and what it did:
    `yuqing status` shows it wherever the run happened (serve, a worker)."""

    name: str = Field(primary_key=True, max_length=40)
    at: datetime = _ts()
    host: str = Field(default="", max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# The tables of instructions and corrections live beside these (one noun a module) and are
# registered on the same metadata by this import.
from models.store.records import Correction as Correction  # noqa: E402
from models.store.records import Instruction as Instruction  # noqa: E402
