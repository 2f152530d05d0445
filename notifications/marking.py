"""The last step of a claim: the planned alerts move to `sending` under the claimer
(compare-and-set on `pending`) in one statement that also reads what sending them needs, with
whether their obligations were acknowledged already and the files they carry. Alerts another
claimer took first are left out. Also: who a person is to the platforms (`mention_of`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from models.policy.states import NotificationStatus
from models.store.tables import Obligation, Person
from notifications.attachments import load_attachments
from notifications.channels import Attachment
from notifications.claimed import Message, Plan, messages_of
from notifications.envelope import Mention
from notifications.outbox.rows import OUTBOX, N

PERSON = Person.__table__  # type: ignore[attr-defined]
O = Obligation.__table__.c  # type: ignore[attr-defined]  # noqa: E741
CLAIMED = (  # what sending and recording need of a claimed row
    N.id,
    N.key,
    N.case_id,
    N.obligation_id,
    N.recipient_id,
    N.channel,
    N.subject,
    N.body,
    N.due_at,
    N.attempts,
    N.http_attempts,
    N.ack_window_seconds,
    N.attachment,
    N.card,
    N.unreachable_since,
    N.rounds,
)


def mention_of(person: Any) -> Mention:
    return Mention(
        name=person.name,
        mobile=person.mobile,
        wecom_userid=person.wecom_userid,
        dingtalk_userid=person.dingtalk_userid,
        feishu_open_id=person.feishu_open_id,
    )


def take(
    session: Session, ids: Sequence[str], *, me: str, now: datetime
) -> tuple[dict[str, Any], set[int], dict[str, Attachment]]:
    """Mark `ids` sending under `me`: the rows taken, the acknowledged obligations among
    theirs, and their files."""
    if not ids:
        return {}, set(), {}
    rows = {
        row.id: row
        for row in session.execute(
            update(OUTBOX)
            .where(N.id.in_(ids), N.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.SENDING, claimed_by=me, claimed_at=now)
            .returning(*CLAIMED)
            .execution_options(synchronize_session=False)
        )
    }
    obligations = {row.obligation_id for row in rows.values() if row.obligation_id}
    acked: set[int] = set()
    if obligations:
        acked = set(
            session.execute(
                select(O.id).where(O.id.in_(obligations), O.acked_at.is_not(None))
            ).scalars()
        )
    files = load_attachments(session, [row.attachment for row in rows.values()])
    return rows, acked, files


def mark(session: Session, planned: list[Plan], *, me: str, now: datetime) -> list[list[Message]]:
    """Take the planned personal messages; each person's chain of messages, in order."""
    ids = [i for plan in planned for message in plan.messages for i in message]
    rows, acked, files = take(session, ids, me=me, now=now)
    chains = [messages_of(plan, rows, acked, files) for plan in planned]
    return [chain for chain in chains if chain]
