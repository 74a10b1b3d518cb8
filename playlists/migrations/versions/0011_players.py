"""Remote players: their last reports, and the as-run rows each has sent (by stable id).

Revision ID: 0011_players
Revises: 0010_reports
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_players"
down_revision: str | Sequence[str] | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "players",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("horizon", sa.Date(), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock_offset_ms", sa.Float(), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("pending_rows", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "player_uploads",
        sa.Column("origin", sa.String(length=100), nullable=False),
        sa.Column("player", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin"),
    )
    op.create_index("ix_player_uploads_player", "player_uploads", ["player"])


def downgrade() -> None:
    op.drop_index("ix_player_uploads_player", table_name="player_uploads")
    op.drop_table("player_uploads")
    op.drop_table("players")
