"""links: the used nonces of signed action links (a link works once) and the audit record of
every attempt to use one

Revision ID: 0006_links
Revises: 0004_merge
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_links"
down_revision: str | None = "0004_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
Text64 = sqlmodel.sql.sqltypes.AutoString(length=64)
Text20 = sqlmodel.sql.sqltypes.AutoString(length=20)


def upgrade() -> None:
    op.create_table(
        "linkuse",
        sa.Column("nonce", Text64, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", Text20, nullable=False),
        sa.Column("recipient", Text64, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("obligation_key", Text64, nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index("ix_linkuse_case_id", "linkuse", ["case_id"])
    op.create_table(
        "linkattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("outcome", Text20, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("action", Text20, nullable=True),
        sa.Column("recipient", Text64, nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("obligation_key", Text64, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_linkattempt_at", "linkattempt", ["at"])
    op.create_index("ix_linkattempt_case_id", "linkattempt", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_linkattempt_case_id", table_name="linkattempt")
    op.drop_index("ix_linkattempt_at", table_name="linkattempt")
    op.drop_table("linkattempt")
    op.drop_index("ix_linkuse_case_id", table_name="linkuse")
    op.drop_table("linkuse")
