"""actions: reassignment (obligation.assignee_id), extension requests, and acknowledgement no
longer ending an obligation (DESIGN §5: 签收 stops only the no-acknowledgement chain)

Revision ID: 0005_actions
Revises: 0004_merge
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_actions"
down_revision: str | None = "0004_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("assignee_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    # Acknowledged obligations are open again and their no-completion chain resumes (catching
    # up from the due time if their next check had been cleared).
    op.execute(
        "UPDATE obligation SET status = 'open', next_check_at = COALESCE(next_check_at, due_at) "
        "WHERE status = 'acknowledged'"
    )
    op.create_table(
        "extensionrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("until", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["obligation_id"], ["obligation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extensionrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extensionrequest_case_id"), ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("extensionrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extensionrequest_case_id"))
    op.drop_table("extensionrequest")
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.drop_column("assignee_id")
