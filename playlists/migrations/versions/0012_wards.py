"""Wards: the list of a city's wards, and the ward each sign-in session and token works for.

Revision ID: 0012_wards
Revises: 0011_players
Create Date: 2026-12-05 09:00:00

The station as it was becomes the home ward ("local"), whose tables stay where they are:
its people keep their roles (already held at "local") and their sessions and tokens.
Only the city's tables change, so a ward's own schema has nothing to do here.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from playlists.migrations.scope import city_tables_here

revision: str = "0012_wards"
down_revision: str | Sequence[str] | None = "0011_players"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOME = "local"


def upgrade() -> None:
    if not city_tables_here():
        return
    wards = op.create_table(
        "wards",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("schema_name", sa.String(63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The home ward's name is its LOA_WARD_NAME setting, read where it is shown.
    op.bulk_insert(wards, [{"code": HOME, "name": "", "schema_name": "",
                            "created_at": datetime.now(UTC)}])  # fmt: skip
    for table in ("web_sessions", "api_tokens"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("ward", sa.String(40), nullable=False, server_default=HOME))


def downgrade() -> None:
    if not city_tables_here():
        return
    for table in ("web_sessions", "api_tokens"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("ward")
    op.drop_table("wards")
