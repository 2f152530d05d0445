"""the console at scale: the board walks open obligations by due time and looks at each case's
own open ones, and a case page reads its timeline a page at a time and its latest grade and
stage changes, each by an index

Revision ID: 0012_runtime
Revises: 0010_reports
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_runtime"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_obligation_status_due_case", "obligation", ["status", "due_at", "case_id"])
    op.create_index("ix_obligation_case_status_due", "obligation", ["case_id", "status", "due_at"])
    op.create_index("ix_caseevent_case_at", "caseevent", ["case_id", "at", "id"])
    op.create_index("ix_caseevent_case_kind_at", "caseevent", ["case_id", "kind", "at", "id"])


def downgrade() -> None:
    op.drop_index("ix_caseevent_case_kind_at", table_name="caseevent")
    op.drop_index("ix_caseevent_case_at", table_name="caseevent")
    op.drop_index("ix_obligation_case_status_due", table_name="obligation")
    op.drop_index("ix_obligation_status_due_case", table_name="obligation")
