"""People: users, their roles per station, sign-in sessions, API tokens, failed sign-ins;
bulletins remember who wrote and approved them, and what exactly was approved.

Revision ID: 0008_accounts
Revises: 0007_integrity_refusal
Create Date: 2026-12-04 06:00:00

Bulletins written before accounts keep their typed names in `author` and `approver`; their
new id columns stay empty. People are the city's: a ward's own schema gets only the
bulletins' new columns (playlists/migrations/scope.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from playlists.migrations.scope import city_tables_here

revision: str = "0008_accounts"
down_revision: str | Sequence[str] | None = "0007_integrity_refusal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("editor", "approver", "operator", "reporter", "admin")


def upgrade() -> None:
    if city_tables_here():
        op.create_table(
            "users",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("username", sa.String(40), nullable=False, unique=True),
            sa.Column("display_name", sa.String(100), nullable=False),
            sa.Column("password_hash", sa.String(255), nullable=False),
            sa.Column("must_change_password", sa.Boolean(), nullable=False),
            sa.Column("disabled", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_table(
            "user_roles",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
            sa.Column("station", sa.String(64), nullable=False),
            sa.Column(
                "role",
                sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=False, length=16),
                nullable=False,
            ),
            sa.UniqueConstraint("user_id", "station", "role", name="uq_user_role"),
        )
        op.create_index("ix_user_roles_user_id", "user_roles", ["user_id"])
        op.create_table(
            "web_sessions",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("id_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("ended_why", sa.String(40), nullable=False),
            sa.Column("address", sa.String(64), nullable=False),
        )
        op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
        op.create_table(
            "api_tokens",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("prefix", sa.String(16), nullable=False),
            sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
            sa.Column("label", sa.String(100), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        )
        op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
        op.create_table(
            "sign_in_failures",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("username", sa.String(100), nullable=False),
            sa.Column("address", sa.String(64), nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_sign_in_failures_username_at", "sign_in_failures", ["username", "at"])
        op.create_index("ix_sign_in_failures_address_at", "sign_in_failures", ["address", "at"])
    with op.batch_alter_table("bulletins") as batch:
        batch.add_column(sa.Column("author_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("approver_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("approved_digest", sa.String(64), nullable=True))
        batch.create_foreign_key("fk_bulletins_author_id", "users", ["author_id"], ["id"])
        batch.create_foreign_key("fk_bulletins_approver_id", "users", ["approver_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("bulletins") as batch:
        batch.drop_constraint("fk_bulletins_approver_id", type_="foreignkey")
        batch.drop_constraint("fk_bulletins_author_id", type_="foreignkey")
        batch.drop_column("approved_digest")
        batch.drop_column("approver_id")
        batch.drop_column("author_id")
    if city_tables_here():
        for table in ("sign_in_failures", "api_tokens", "web_sessions", "user_roles", "users"):
            op.drop_table(table)
