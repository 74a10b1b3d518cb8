"""Slots: assigning document, fixed segments, one-off slots and cancelled days.

Revision ID: 996ac84337f1
Revises: 64ecc0a34acb
Create Date: 2026-11-26 16:36:59.356732

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "996ac84337f1"
down_revision: str | Sequence[str] | None = "64ecc0a34acb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema (server defaults fill the slots that already exist)."""

    op.create_table(
        "slot_cancellations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot_id", "day"),
    )
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("document", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("document_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("head_s", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("relay_s", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tail_s", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("one_off", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_column("one_off")
        batch_op.drop_column("tail_s")
        batch_op.drop_column("relay_s")
        batch_op.drop_column("head_s")
        batch_op.drop_column("document_date")
        batch_op.drop_column("document")

    op.drop_table("slot_cancellations")
