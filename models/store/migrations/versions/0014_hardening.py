"""intake receipts: each record pushed to the intake endpoint, by (source, sender's id), pointing
at the item it concerns, so a second referral about a stored page attaches to that page's item

Revision ID: 0014_hardening
Revises: 0013_websec
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_hardening"
down_revision: str | None = "0013_websec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intakereceipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "external_id", name="uq_intakereceipt_source_external"),
    )
    op.create_index("ix_intakereceipt_item_id", "intakereceipt", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_intakereceipt_item_id", table_name="intakereceipt")
    op.drop_table("intakereceipt")
