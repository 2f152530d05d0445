"""reports: stored reports (the file, its period, how building it went), people's judgements
of accountability records, the attachment an outbox row carries, and the indexes the report
queries use (deadlines due, cases opened, records and deliveries in a period)

Revision ID: 0010_reports
Revises: 0008_lifecycle
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_reports"
down_revision: str | None = "0008_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


INDEXES = (
    ("ix_case_discovered_at", "case", "discovered_at"),
    ("ix_obligation_due_at", "obligation", "due_at"),
    ("ix_accountabilityrecord_recorded_at", "accountabilityrecord", "recorded_at"),
    ("ix_delivery_at", "delivery", "at"),
)


def upgrade() -> None:
    _create_storedreport()
    _create_accountabilityjudgement()
    _alter_notification()
    _create_indexes()


def _create_storedreport() -> None:
    op.create_table(
        "storedreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _text(200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", _text(64), nullable=False),
        sa.Column("period_start", TS, nullable=True),
        sa.Column("period_end", TS, nullable=True),
        sa.Column("unit_id", _text(64), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("format", _text(8), nullable=False),
        sa.Column("filename", _text(200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_by", _text(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("built_at", TS, nullable=True),
        sa.Column("send_requested_at", TS, nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_storedreport_case_id", "storedreport", ["case_id"])
    op.create_index("ix_storedreport_status_created", "storedreport", ["status", "created_at"])


def _create_accountabilityjudgement() -> None:
    op.create_table(
        "accountabilityjudgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("justified", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("consequence", _text(20), nullable=False),
        sa.Column("judged_by", _text(64), nullable=False),
        sa.Column("judged_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["accountabilityrecord.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_accountabilityjudgement_record_id", "accountabilityjudgement", ["record_id"]
    )


def _alter_notification() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment", _text(64), nullable=True))


def _create_indexes() -> None:
    """The indexes the report queries use (a period of each time column in INDEXES)."""
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("attachment")
    op.drop_table("accountabilityjudgement")
    op.drop_table("storedreport")
