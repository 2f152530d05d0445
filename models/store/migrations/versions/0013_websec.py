"""websec: the console's server-side sessions and the audit record of every sign-in attempt
(which the sign-in throttle counts)

Revision ID: 0013_websec
Revises: 0012_runtime
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_websec"
down_revision: str | None = "0012_runtime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "signinattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("username", _text(64), nullable=False),
        sa.Column("address", _text(64), nullable=False),
        sa.Column("outcome", _text(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signinattempt_at", "signinattempt", ["at"])
    op.create_index("ix_signinattempt_username", "signinattempt", ["username"])
    op.create_index("ix_signinattempt_address", "signinattempt", ["address"])
    op.create_table(
        "websession",
        sa.Column("id", _text(64), nullable=False),
        sa.Column("username", _text(64), nullable=False),
        sa.Column("address", _text(64), nullable=False),
        sa.Column("password_tag", _text(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("ended_reason", _text(40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_websession_username", "websession", ["username"])


def downgrade() -> None:
    op.drop_index("ix_websession_username", table_name="websession")
    op.drop_table("websession")
    for column in ("address", "username", "at"):
        op.drop_index(f"ix_signinattempt_{column}", table_name="signinattempt")
    op.drop_table("signinattempt")
