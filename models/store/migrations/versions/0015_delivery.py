"""the delivery engine: the stored sort key and the claimer of outbox rows, every HTTP attempt
with its outcome class and lateness, the dispatchers' heartbeats and the channels' health

Revision ID: 0015_delivery
Revises: 0014_hardening
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_delivery"
down_revision: str | None = "0014_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    _alter_notification()
    _alter_delivery()
    _create_dispatcher()
    _create_channelhealth()


def _alter_notification() -> None:
    """Each row due at its time, held by its claimer, its HTTP attempts counted."""
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", TS, nullable=True))
        batch_op.add_column(sa.Column("claimed_by", _text(80), nullable=True))
        batch_op.add_column(
            sa.Column("http_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    # Rows already queued sort by their obligation's due time (else when they were queued).
    op.execute(
        "UPDATE notification SET http_attempts = attempts, due_at = COALESCE("
        "(SELECT obligation.due_at FROM obligation"
        " WHERE obligation.id = notification.obligation_id),"
        " notification.created_at)"
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=TS, nullable=False)
        batch_op.create_index(
            "ix_notification_recipient_order", ["recipient_id", "status", "due_at", "level"]
        )
        batch_op.create_index("ix_notification_recipient_sent", ["recipient_id", "sent_at"])


def _alter_delivery() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", _text(20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("http_status", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("elapsed_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("late_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("dispatcher", _text(80), nullable=True))


def _create_dispatcher() -> None:
    op.create_table(
        "dispatcher",
        sa.Column("id", _text(80), nullable=False),
        sa.Column("host", _text(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("beat_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dispatcher_beat_at", "dispatcher", ["beat_at"])


def _create_channelhealth() -> None:
    op.create_table(
        "channelhealth",
        sa.Column("channel", _text(64), nullable=False),
        sa.Column("state", _text(20), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", TS, nullable=True),
        sa.Column("backoff_seconds", sa.Float(), nullable=False),
        sa.Column("probe_by", _text(80), nullable=True),
        sa.Column("probe_at", TS, nullable=True),
        sa.Column("last_ok_at", TS, nullable=True),
        sa.Column("last_failure_at", TS, nullable=True),
        sa.Column("last_outcome", _text(20), nullable=True),
        sa.Column("last_reason", _text(200), nullable=True),
        sa.Column("down_since", TS, nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("channel"),
    )


def downgrade() -> None:
    op.drop_table("channelhealth")
    op.drop_index("ix_dispatcher_beat_at", table_name="dispatcher")
    op.drop_table("dispatcher")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        for column in ("dispatcher", "late_seconds", "elapsed_ms", "http_status", "outcome"):
            batch_op.drop_column(column)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_recipient_sent")
        batch_op.drop_index("ix_notification_recipient_order")
        for column in ("http_attempts", "claimed_by", "due_at"):
            batch_op.drop_column(column)
