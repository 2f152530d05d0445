"""Sending a stored report: `send_report` queues it for its kind's recipients and runs the
dispatcher (`send_stored` is its Prefect task). Queueing is in the caller's transaction:
the holders of the report's roles (the duty roster overlaid), each on their first channel, one
row each under a unique key (the report, the recipient, the channel), carrying the report as an
attachment and, where links are configured, a signed download link in the text (for channels
that take no files). Delivery, retries, fall-over to the next channel and the delivery record
are the dispatcher's, as for any alert. Also re-arming the rows of recipients whose every
channel failed, for `yuqing report rerun`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from models.policy.escalation import recipients
from models.policy.states import NotificationStatus
from models.repo.cases import get_case
from models.repo.directory import role_holders
from models.repo.reports.store import attachment_ref, get_report
from models.reports.periods import KIND_LABELS
from models.store.db import session_scope
from models.store.tables import Notification, Person, StoredReport
from notifications.dispatch import dispatch_pending
from notifications.outbox.rows import Outgoing, enqueue, new_notification_id
from tasks.reports.context import download_signer, roles_for
from tasks.reports.links import DownloadSigner
from tasks.runtime import Runtime, context_for, prepare


@dataclass(frozen=True)
class Queued:
    queued: int  # outbox rows inserted now
    recipients: tuple[str, ...]  # everyone the report is for
    unreachable: tuple[str, ...]  # holders of the roles with no channel


def queue_report(
    session: Session,
    report: StoredReport,
    *,
    roles: Sequence[str],
    subject: str,
    body: str,
    now: datetime,
    links: DownloadSigner | None,
    holders: dict[str, list[str]] | None = None,
) -> Queued:
    """Put the report in the outbox for every holder of `roles`; a second call adds nothing."""
    assert report.id is not None
    people = recipients(
        tuple(roles), holders=holders if holders is not None else role_holders(session, at=now)
    )
    queued, unreachable = 0, []
    for person_id in people:
        person = session.get(Person, person_id)
        if person is None or not person.channels:
            unreachable.append(person_id)
            continue
        message = _message(report, person, subject=subject, body=body, links=links, now=now)
        queued += len(enqueue(session, [message]))
    report.send_requested_at = report.send_requested_at or now
    session.add(report)
    return Queued(queued, tuple(people), tuple(unreachable))


def _message(
    report: StoredReport,
    person: Person,
    *,
    subject: str,
    body: str,
    links: DownloadSigner | None,
    now: datetime,
) -> Outgoing:
    """The outbox row carrying the report to `person` on their first channel."""
    assert report.id is not None
    notification_id = new_notification_id()
    return Outgoing(
        notification_id=notification_id,
        case_id=report.case_id,
        obligation_id=None,
        level=0,
        recipient_id=person.id,
        channel=person.channels[0],
        subject=subject,
        body=_text(report, person, body, links, now, notification_id),
        at=now,
        due_at=now,
        occasion=f"report{report.id}",
        attachment=attachment_ref(report.id),
    )


def _text(
    report: StoredReport,
    person: Person,
    body: str,
    links: DownloadSigner | None,
    now: datetime,
    notification_id: str,
) -> str:
    assert report.id is not None
    if links is not None:
        where = links.url(report_id=report.id, recipient=person.id, now=now)
    else:
        where = f"yuqing report get {report.id} --out {report.filename}"
    return "\n".join(
        [
            f"{person.name}：",
            body,
            f"附件：{report.filename}（邮件等支持附件的渠道随本消息发送）",
            f"下载：{where}",
            f"通知编号：{notification_id}",
        ]
    )


def rearm(session: Session, notification_ids: Sequence[str]) -> int:
    """Put the given failed rows back in the outbox for one more try on their channel (those
    every channel failed and that wait for their next round: now)."""
    count = 0
    for notification_id in notification_ids:
        row = session.get(Notification, notification_id)
        waiting = row is not None and row.status == NotificationStatus.PENDING
        if row is not None and (
            row.status == NotificationStatus.FAILED or (waiting and row.unreachable_since)
        ):
            row.status, row.next_attempt_at, row.claimed_at = NotificationStatus.PENDING, None, None
            session.add(row)
            count += 1
    return count


def send_report(runtime: Runtime, report_id: int, *, now: datetime) -> dict[str, Any]:
    """Queue the stored report for its kind's recipients, then run the dispatcher."""
    with session_scope(runtime.engine) as session:
        report = get_report(session, report_id)
        summary = report.summary
        grade = get_case(session, report.case_id).grade if report.case_id else None
        queued = queue_report(
            session,
            report,
            roles=roles_for(runtime, report.kind, grade=grade),
            subject=str(summary.get("subject") or KIND_LABELS[report.kind]),
            body=str(summary.get("message") or ""),
            now=now,
            links=download_signer(runtime.settings),
            holders=role_holders(session, shifts=context_for(runtime).routing.shifts, at=now),
        )
    dispatched = dispatch_pending(
        runtime.engine,
        channel_url=runtime.channel_url,
        now=now,
        options=runtime.settings.dispatch,
        language=runtime.settings.general.language,
    )
    return {
        "report_id": report_id,
        "queued": queued.queued,
        "recipients": list(queued.recipients),
        "unreachable": list(queued.unreachable),
        "sent": dispatched.sent,
        "failed": dispatched.failed,
    }


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def send_stored(report_id: int, at: datetime, config: str | None = None) -> dict[str, Any]:
    """Send a stored report (re-runnable: its outbox rows are keyed, nothing is sent twice)."""
    return send_report(prepare(config), report_id, now=at)
