"""Keep the last intelligibility check of each rendering.

Revision ID: 64ecc0a34acb
Revises: bd0e3885d422
Create Date: 2026-11-26 15:56:52.247645

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "64ecc0a34acb"
down_revision: str | Sequence[str] | None = "bd0e3885d422"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    with op.batch_alter_table("renderings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_wer", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("check_heard", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("check_misheard", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("renderings", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
        batch_op.drop_column("check_misheard")
        batch_op.drop_column("check_heard")
        batch_op.drop_column("check_wer")
