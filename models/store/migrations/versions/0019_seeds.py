"""the seeds' remaining rules: when the item was posted (网民发帖, the anchor of S1-12's 24 h),
and the quick report's issue number (期号) stored once per case and report, unique per year
(quick reports already stored keep the number their file was issued with)

Revision ID: 0019_seeds
Revises: 0016_channels
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_seeds"
down_revision: str | None = "0016_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("posted_at", TS, nullable=True))
    with op.batch_alter_table("storedreport", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issue_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("issue_no", sa.Integer(), nullable=True))
    _number_stored_quick_reports()
    with op.batch_alter_table("storedreport", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_storedreport_issue", ["issue_year", "issue_no"])


def _number_stored_quick_reports() -> None:
    """Each stored quick report keeps the number its file carries (in its parameters); a number
    seen twice (never expected) is kept by the first report only."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, summary FROM storedreport WHERE kind = 'quick' ORDER BY id")
    ).all()
    taken: set[tuple[int, int]] = set()
    for report_id, summary in rows:
        data = json.loads(summary) if isinstance(summary, str) else (summary or {})
        params = data.get("params", {}) if isinstance(data, dict) else {}
        try:
            issue = (int(params["year"]), int(params["issue"]))
        except (KeyError, TypeError, ValueError):
            continue
        if issue in taken:
            continue
        taken.add(issue)
        bind.execute(
            sa.text("UPDATE storedreport SET issue_year = :y, issue_no = :n WHERE id = :id"),
            {"y": issue[0], "n": issue[1], "id": report_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("storedreport", schema=None) as batch_op:
        batch_op.drop_constraint("uq_storedreport_issue", type_="unique")
        batch_op.drop_column("issue_no")
        batch_op.drop_column("issue_year")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("posted_at")
