"""the seeds' remaining rules: when the item was posted (网民发帖, the anchor of S1-12's 24 h),
and the quick report's issue number (期号) stored once per case and report

Revision ID: 0019_seeds
Revises: 0015_delivery
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_seeds"
down_revision: str | None = "0015_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("posted_at", TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("posted_at")
