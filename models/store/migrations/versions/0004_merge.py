"""merge the escalation and collection branches into one line for the migrations that follow

Revision ID: 0004_merge
Revises: 0002_escalation, 0003_collection
"""

from collections.abc import Sequence

revision: str = "0004_merge"
down_revision: tuple[str, ...] | None = ("0002_escalation", "0003_collection")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
