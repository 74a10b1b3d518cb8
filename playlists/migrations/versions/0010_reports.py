"""The CCHC report: per-topic airtime targets, the register of closed reports, and an index
matching plan items to the plays of the as-run log.

Revision ID: 0010_reports
Revises: 0009_audit_log
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_reports"
down_revision: str | Sequence[str] | None = "0009_audit_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The report matches scheduled plays to plan items by zone, slot and instant.
    op.create_index("ix_plan_items_play", "plan_items", ["zone_id", "slot_id", "planned_start"])
    with op.batch_alter_table("topics") as batch:
        batch.add_column(sa.Column("target_plays_per_month", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("target_minutes_per_month", sa.Float(), nullable=True))
    op.create_table(
        "report_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("generator", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("first_day", "last_day", "rule", name="uq_report_window"),
    )


def downgrade() -> None:
    op.drop_table("report_closures")
    op.drop_index("ix_plan_items_play", table_name="plan_items")
    with op.batch_alter_table("topics") as batch:
        batch.drop_column("target_minutes_per_month")
        batch.drop_column("target_plays_per_month")
