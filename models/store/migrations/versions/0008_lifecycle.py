"""the whole lifecycle: responsible units and outcome on the case, external units, the case
flow's steps, approval requests (statements, downgrades and extensions in one table; the
extension requests move into it), referrals and reviews (the case library)

Revision ID: 0008_lifecycle
Revises: 0007_merge
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_lifecycle"
down_revision: str | None = "0007_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


EXTENSION_REQUESTS = sa.text(
    "SELECT r.id, r.case_id, r.obligation_id, c.grade, r.requested_by, r.requested_at, "
    "r.until, r.reason, r.status, r.decided_by, r.decided_at, r.note "
    'FROM extensionrequest r JOIN "case" c ON c.id = r.case_id ORDER BY r.id'
)


def upgrade() -> None:
    _alter_unit_and_case()
    _create_approvalrequest()
    _move_extension_requests()
    _create_casestep()
    _create_referral()
    _create_casereview()


def _alter_unit_and_case() -> None:
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("external", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("lead_unit_id", _text(64), nullable=True))
        batch_op.add_column(sa.Column("outcome", _text(32), nullable=True))


def _create_approvalrequest() -> None:
    op.create_table(
        "approvalrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=True),
        sa.Column("grade", _text(32), nullable=False),
        sa.Column("requested_by", _text(64), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("decided_by", _text(64), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["obligation_id"], ["obligation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_approvalrequest_case_id", "approvalrequest", ["case_id"])


def _move_extension_requests() -> None:
    # Extension requests become approval requests of kind "extension" (until in the payload).
    bind = op.get_bind()
    rows = bind.execute(EXTENSION_REQUESTS).all()
    table = _approval_table()
    for row in rows:
        until = row.until if isinstance(row.until, str) else row.until.isoformat()
        bind.execute(
            table.insert().values(
                id=row.id,
                case_id=row.case_id,
                kind="extension",
                obligation_id=row.obligation_id,
                grade=row.grade,
                requested_by=row.requested_by,
                requested_at=row.requested_at,
                reason=row.reason,
                payload={"until": until},
                status=row.status,
                decided_by=row.decided_by,
                decided_at=row.decided_at,
                note=row.note,
            )
        )
    if rows and bind.dialect.name == "postgresql":  # ids were copied: move the sequence on
        op.execute(
            "SELECT setval(pg_get_serial_sequence('approvalrequest', 'id'), "
            "(SELECT max(id) FROM approvalrequest))"
        )
    op.execute(
        "UPDATE caseevent SET kind = 'approval_requested' WHERE kind = 'extension_requested'"
    )
    op.execute("UPDATE caseevent SET kind = 'approval_decided' WHERE kind = 'extension_decided'")
    op.drop_index("ix_extensionrequest_case_id", table_name="extensionrequest")
    op.drop_table("extensionrequest")


def _approval_table() -> sa.TableClause:
    """The approval requests' columns an extension request is copied into."""
    return sa.table(
        "approvalrequest",
        *(
            sa.column(name)
            for name in [
                "id",
                "case_id",
                "kind",
                "obligation_id",
                "grade",
                "requested_by",
                "requested_at",
                "reason",
                "status",
                "decided_by",
                "decided_at",
                "note",
            ]
        ),
        sa.column("payload", sa.JSON()),
    )


def _create_casestep() -> None:
    op.create_table(
        "casestep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_casestep_case_id", "casestep", ["case_id"])
    op.create_index("ix_casestep_status_created", "casestep", ["status", "created_at"])


def _create_referral() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("body", _text(40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("referred_by", _text(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_referral_case_id", "referral", ["case_id"])


def _create_casereview() -> None:
    op.create_table(
        "casereview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("reviewed_by", _text(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_casereview_case_id", "casereview", ["case_id"])


def downgrade() -> None:
    for table in ("casereview", "referral", "casestep"):
        op.drop_table(table)
    op.drop_table("approvalrequest")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("lead_unit_id")
        batch_op.drop_column("units")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("external")
