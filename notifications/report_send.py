"""Queueing a stored report for its recipients through the outbox, in the caller's transaction:
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

from sqlmodel import Session

from models.policy.escalation import recipients
from models.policy.states import NotificationStatus
from models.repo.directory import role_holders
from models.repo.report_store import attachment_ref
from models.store.tables import Notification, Person, StoredReport
from notifications.outbox.rows import Outgoing, enqueue, new_notification_id
from notifications.report_links import DownloadSigner


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
        notification_id = new_notification_id()
        text = _text(report, person, body, links, now, notification_id)
        message = Outgoing(
            notification_id=notification_id,
            case_id=report.case_id,
            obligation_id=None,
            level=0,
            recipient_id=person_id,
            channel=person.channels[0],
            subject=subject,
            body=text,
            at=now,
            due_at=now,
            occasion=f"report{report.id}",
            attachment=attachment_ref(report.id),
        )
        queued += len(enqueue(session, [message]))
    report.send_requested_at = report.send_requested_at or now
    session.add(report)
    return Queued(queued, tuple(people), tuple(unreachable))


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
