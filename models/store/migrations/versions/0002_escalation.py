"""escalation: reminders, the no-ack chain, the sending state and accountability records

Revision ID: 0002_escalation
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_escalation"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", TS, nullable=True))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chain", sa.String(length=40), nullable=False, server_default="no_completion")
        )
        batch_op.add_column(sa.Column("next_attempt_at", TS, nullable=True))
        batch_op.add_column(sa.Column("claimed_at", TS, nullable=True))
        batch_op.add_column(sa.Column("ack_window_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ack_due_at", TS, nullable=True))
        batch_op.create_index(
            "ix_notification_status_next_attempt", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_ack_due_at"), ["ack_due_at"])
    op.create_table(
        "accountabilityrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("obligation_title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("owner_role", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("responsible", sa.JSON(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("late_seconds", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["obligation_id"], ["obligation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accountabilityrecord", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accountabilityrecord_case_id"), ["case_id"])
        batch_op.create_index(
            batch_op.f("ix_accountabilityrecord_obligation_id"), ["obligation_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("accountabilityrecord", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accountabilityrecord_obligation_id"))
        batch_op.drop_index(batch_op.f("ix_accountabilityrecord_case_id"))
    op.drop_table("accountabilityrecord")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_ack_due_at"))
        batch_op.drop_index("ix_notification_status_next_attempt")
        for column in ("ack_due_at", "ack_window_seconds", "claimed_at", "next_attempt_at"):
            batch_op.drop_column(column)
        batch_op.drop_column("chain")
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
