"""collection: source runs, monitoring gaps, item fields for intake/JSON sources and clustering,
case metric snapshots

Revision ID: 0003_collection
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_collection"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    _alter_notification()
    _alter_source()
    _alter_item()
    _create_sourcerun()
    _create_monitoringgap()
    _create_metricsnapshot()


def _alter_notification() -> None:
    # A monitoring-gap alert concerns a source, not a case.
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)


def _alter_source() -> None:
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consecutive_empty", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("ever_yielded", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def _alter_item() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(
            sa.Column("site", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "media_level",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="local",
            )
        )
        batch_op.add_column(sa.Column("reposts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("signature", sa.JSON(), nullable=True))
        batch_op.create_unique_constraint("uq_item_source_external", ["source_id", "external_id"])


def _create_sourcerun() -> None:
    op.create_table(
        "sourcerun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("new_items", sa.Integer(), nullable=False),
        sa.Column("updated_items", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sourcerun_source_id", "sourcerun", ["source_id"])


def _create_monitoringgap() -> None:
    op.create_table(
        "monitoringgap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitoringgap_source_id", "monitoringgap", ["source_id"])


def _create_metricsnapshot() -> None:
    op.create_table(
        "metricsnapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("mainstream_sites", sa.Integer(), nullable=False),
        sa.Column("media_level", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("reposts", sa.Integer(), nullable=False),
        sa.Column("sensitive_period", sa.Boolean(), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_metricsnapshot_case_id", "metricsnapshot", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_metricsnapshot_case_id", table_name="metricsnapshot")
    op.drop_table("metricsnapshot")
    op.drop_index("ix_monitoringgap_source_id", table_name="monitoringgap")
    op.drop_table("monitoringgap")
    op.drop_index("ix_sourcerun_source_id", table_name="sourcerun")
    op.drop_table("sourcerun")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_constraint("uq_item_source_external", type_="unique")
        for column in ("signature", "reposts", "media_level", "site", "author", "external_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_column("ever_yielded")
        batch_op.drop_column("consecutive_empty")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
