"""First schema: zones, slots, topics, bulletins, renderings, day plans, as-run log.

Revision ID: 800279ec2af3
Revises:
Create Date: 2026-11-26 15:15:20.918941

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "800279ec2af3"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "day_plans",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unplaced", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "renderings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=300), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("voice", sa.String(length=64), nullable=False),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("spoken_text", sa.Text(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("loudness_lufs", sa.Float(), nullable=False),
        sa.Column("true_peak_db", sa.Float(), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("days", sa.String(length=7), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recording_name", sa.String(length=300), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "normal", "priority", "emergency", name="priority", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("per_day", sa.Integer(), nullable=False),
        sa.Column("voice", sa.String(length=64), nullable=True),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending",
                "approved",
                "returned",
                name="bulletinstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("approver", sa.String(length=100), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("rendering_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rendering_id"],
            ["renderings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "slot_zones",
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("slot_id", "zone_id"),
    )
    op.create_table(
        "air_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("zone_name", sa.String(length=100), nullable=False),
        sa.Column("output", sa.String(length=100), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("slot_name", sa.String(length=100), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=True),
        sa.Column("bulletin_title", sa.String(length=200), nullable=False),
        sa.Column("topic_name", sa.String(length=300), nullable=False),
        sa.Column("rendering_sha256", sa.String(length=64), nullable=False),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "played",
                "partial",
                "missed",
                "failed",
                name="airstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "schedule", "manual", "emergency", name="airsource", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["slots.id"],
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("air_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_air_log_actual_start"), ["actual_start"], unique=False)

    op.create_table(
        "bulletin_zones",
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bulletin_id"], ["bulletins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("bulletin_id", "zone_id"),
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("rendering_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
        ),
        sa.ForeignKeyConstraint(["day"], ["day_plans.day"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["rendering_id"],
            ["renderings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["slots.id"],
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "zone_id", "slot_id", "position"),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_items_day"), ["day"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_items_day"))

    op.drop_table("plan_items")
    op.drop_table("bulletin_zones")
    with op.batch_alter_table("air_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_air_log_actual_start"))

    op.drop_table("air_log")
    op.drop_table("slot_zones")
    op.drop_table("bulletins")
    op.drop_table("zones")
    op.drop_table("topics")
    op.drop_table("slots")
    op.drop_table("renderings")
    op.drop_table("day_plans")
