"""The sweep's work: for each claimed lapsed obligation, record the lapse on the case timeline
and queue one notification per recipient of each due chain level, all in the caller's single
transaction, so a lapse and the alerts it causes are written together or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.cases import add_event
from models.deadlines import advance_level, claim_due
from models.directory import role_holders
from models.escalation import LapseStep, format_late, plan_escalation, recipients
from models.policy import Policy
from models.states import EventKind
from models.tables import Case, Obligation, Person
from notifications.outbox import enqueue, new_notification_id, outbox_key
from notifications.render import AlertFacts, render_alert


@dataclass(frozen=True)
class SweepResult:
    claimed: int
    levels_fired: int
    queued: int


def escalate_due(
    session: Session, *, now: datetime, policy: Policy, language: str, batch_size: int
) -> SweepResult:
    """Claim up to `batch_size` due obligations and queue their escalations."""
    obligations = claim_due(session, now=now, limit=batch_size)
    holders = role_holders(session)
    fired = queued = 0
    for obligation in obligations:
        case = session.get(Case, obligation.case_id)
        assert case is not None
        plan = plan_escalation(
            due_at=obligation.due_at,
            fired_level=obligation.level,
            levels=len(policy.chain),
            repeat_interval=policy.escalation_for(case.grade).repeat_interval,
            now=now,
        )
        if not plan.steps:  # woken early (e.g. a due time moved): just look again later
            obligation.next_check_at = plan.next_check_at
            continue
        to_level = plan.steps[-1].level
        if not advance_level(
            session, obligation, to_level=to_level, next_check_at=plan.next_check_at
        ):
            continue
        for step in plan.steps:
            fired += 1
            queued += _fire_level(
                session,
                case=case,
                obligation=obligation,
                step=step,
                policy=policy,
                holders=holders,
                now=now,
                language=language,
            )
    return SweepResult(claimed=len(obligations), levels_fired=fired, queued=queued)


def _fire_level(
    session: Session,
    *,
    case: Case,
    obligation: Obligation,
    step: LapseStep,
    policy: Policy,
    holders: dict[str, list[str]],
    now: datetime,
    language: str,
) -> int:
    assert case.id is not None and obligation.id is not None
    chain_level = policy.chain_level(step.level)
    people = recipients(chain_level.recipients(obligation.owner_role), holders=holders)
    late = format_late(step.late_by)
    add_event(
        session,
        case_id=case.id,
        kind=EventKind.DEADLINE_LAPSED,
        at=now,
        message=f"{obligation.title}超时 {late}：第{step.level}级催办（{chain_level.label}），"
        f"通知 {len(people)} 人",
        data={
            "obligation": obligation.key,
            "level": step.level,
            "late_seconds": int(step.late_by.total_seconds()),
            "recipients": people,
        },
    )
    tz = ZoneInfo(policy.timezone)
    grade_label = policy.scheme.level(case.grade).label
    queued = 0
    for person_id in people:
        person = session.get(Person, person_id)
        if person is None or not person.channels:
            add_event(
                session,
                case_id=case.id,
                kind=EventKind.DELIVERY_FAILED,
                at=now,
                message=f"{person_id} 未配置通知渠道，无法通知",
                data={"recipient": person_id, "level": step.level},
            )
            continue
        channel = person.channels[0]
        notification_id = new_notification_id()
        subject, body = render_alert(
            AlertFacts(
                notification_id=notification_id,
                case_id=case.id,
                case_title=case.title,
                grade_label=grade_label,
                obligation_title=obligation.title,
                due_at=obligation.due_at,
                late_by=step.late_by,
                level=step.level,
                level_label=chain_level.label,
                recipient_name=person.name,
            ),
            tz=tz,
            language=language,
        )
        key = outbox_key(
            case_id=case.id,
            obligation_id=obligation.id,
            level=step.level,
            recipient=person_id,
            channel=channel,
        )
        if (
            enqueue(
                session,
                key=key,
                case_id=case.id,
                obligation_id=obligation.id,
                level=step.level,
                recipient_id=person_id,
                channel=channel,
                subject=subject,
                body=body,
                notification_id=notification_id,
                at=now,
            )
            is not None
        ):
            queued += 1
            add_event(
                session,
                case_id=case.id,
                kind=EventKind.NOTIFICATION_QUEUED,
                at=now,
                message=f"待发送：致 {person.name}（{channel}），第{step.level}级",
                data={
                    "notification": notification_id,
                    "recipient": person_id,
                    "channel": channel,
                    "level": step.level,
                },
            )
    return queued
