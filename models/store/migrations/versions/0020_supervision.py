"""supervision: an alert whose every channel failed starts over on the first one (since when,
how many rounds) instead of being given up; the people who cannot be reached, and whether the
office was told; when the sweep last ran

Revision ID: 0020_supervision
Revises: 0019_seeds
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020_supervision"
down_revision: str | None = "0019_seeds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unreachable_since", TS, nullable=True))
        batch_op.add_column(sa.Column("rounds", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "unreachable",
        sa.Column("person_id", _text(64), nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.Column("last_failure_at", TS, nullable=False),
        sa.Column("told_at", TS, nullable=True),
        sa.Column("reached_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "lastrun",
        sa.Column("name", _text(40), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("host", _text(200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("lastrun")
    op.drop_table("unreachable")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("rounds")
        batch_op.drop_column("unreachable_since")
