"""the seeds' new verbs: leaders' instructions (批示) and corrections (更正: units, category,
grade, a stage moved back), each with who, when and why. (Obligations resolved as 不需要 and
the new kinds of request are new text values of existing columns: no change.)

Revision ID: 0021_verbs
Revises: 0020_supervision
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021_verbs"
down_revision: str | None = "0020_supervision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "instruction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("given_by", _text(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_instruction_case_id", "instruction", ["case_id"])
    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_by", _text(64), nullable=False),
        sa.Column("approved_by", _text(64), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_correction_case_id", "correction", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_correction_case_id", table_name="correction")
    op.drop_table("correction")
    op.drop_index("ix_instruction_case_id", table_name="instruction")
    op.drop_table("instruction")
