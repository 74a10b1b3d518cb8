"""The station's own lexicon of abbreviations, over the built-in one.

Revision ID: bd0e3885d422
Revises: 0002_seed_topics
Create Date: 2026-11-26 15:40:28.013707

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "bd0e3885d422"
down_revision: str | Sequence[str] | None = "0002_seed_topics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "lexicon_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("written", sa.String(length=40), nullable=False),
        sa.Column("spoken", sa.String(length=300), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("written"),
    )


def downgrade() -> None:
    """Downgrade schema."""

    op.drop_table("lexicon_entries")
