"""the channels offices use: people's platform ids for @mentions, each alert's structured form
(for cards and group messages), the platform's own code of every attempt and of a channel's
last failure, and the index the per-endpoint limits count sends by

Revision ID: 0016_channels
Revises: 0015_delivery
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016_channels"
down_revision: str | None = "0015_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSON_IDS = ("mobile", "wecom_userid", "dingtalk_userid", "feishu_open_id")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        for name in PERSON_IDS:
            batch_op.add_column(sa.Column(name, _text(64), nullable=True))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card", sa.JSON(), nullable=True))
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", _text(64), nullable=True))
        batch_op.create_index("ix_delivery_channel_at", ["channel", "at"])
    with op.batch_alter_table("channelhealth", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_code", _text(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channelhealth", schema=None) as batch_op:
        batch_op.drop_column("last_code")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_channel_at")
        batch_op.drop_column("code")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("card")
    with op.batch_alter_table("person", schema=None) as batch_op:
        for name in PERSON_IDS:
            batch_op.drop_column(name)
