"""merge the action-layer and signed-link branches into one line

Revision ID: 0007_merge
Revises: 0005_actions, 0006_links
"""

from collections.abc import Sequence

revision: str = "0007_merge"
down_revision: tuple[str, ...] | None = ("0005_actions", "0006_links")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
