"""On air: the as-run log's hash chain and append-only guard, alerts, emergencies.

Revision ID: 0006_on_air
Revises: 996ac84337f1
Create Date: 2026-11-26 18:00:00

Rows already in the log are numbered and chained in id order, so a station that upgrades
keeps its history and can verify it from the first row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from playlists.asrun.ledger import GENESIS_HASH, HASHED_COLUMNS, row_hash

revision: str = "0006_on_air"
down_revision: str | Sequence[str] | None = "996ac84337f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "air_log is append-only: rows are never changed or deleted"


def upgrade() -> None:
    """Add the chain, fill it for existing rows, then forbid UPDATE and DELETE."""
    with op.batch_alter_table("air_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    columns = ", ".join(c for c in HASHED_COLUMNS if c != "seq")
    rows = bind.execute(sa.text(f"SELECT id, {columns} FROM air_log ORDER BY id")).mappings()
    prev = GENESIS_HASH
    for seq, row in enumerate(list(rows), start=1):
        values = dict(row) | {"seq": seq}
        digest = row_hash(values, prev)
        bind.execute(
            sa.text(
                "UPDATE air_log SET seq = :seq, prev_hash = :prev, row_hash = :h WHERE id = :id"
            ),
            {"seq": seq, "prev": prev, "h": digest, "id": row["id"]},
        )
        prev = digest

    with op.batch_alter_table("air_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_air_log_seq", ["seq"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "audio",
                "output",
                "missed",
                "scheduler",
                "amplifier",
                "emergency",
                name="alertkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("zone_name", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"])
    op.create_table(
        "emergencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audio_file", sa.String(length=300), nullable=False),
        sa.Column("audio_sha256", sa.String(length=64), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("zone_ids", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("every_min", sa.Float(), nullable=False),
        sa.Column("plays_done", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "airing",
                "done",
                "cancelled",
                "failed",
                name="emergencystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_emergencies_next_at", "emergencies", ["next_at"])

    # Last, after every batch operation on air_log (SQLite's batch mode rebuilds the table and
    # would drop triggers made before it). A later migration that alters air_log in batch mode
    # must create these again.
    create_append_only_guard()


def create_append_only_guard() -> None:
    """Make the database itself refuse UPDATE and DELETE on the as-run log."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION air_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER air_log_append_only BEFORE UPDATE OR DELETE ON air_log "
            "FOR EACH ROW EXECUTE FUNCTION air_log_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER air_log_no_{action.lower()} BEFORE {action} ON air_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    """Drop the guard, the new tables and the chain columns."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER air_log_append_only ON air_log")
        op.execute("DROP FUNCTION air_log_append_only()")
    else:
        op.execute("DROP TRIGGER air_log_no_update")
        op.execute("DROP TRIGGER air_log_no_delete")
    op.drop_index("ix_emergencies_next_at", table_name="emergencies")
    op.drop_table("emergencies")
    op.drop_index("ix_alerts_raised_at", table_name="alerts")
    op.drop_table("alerts")
    with op.batch_alter_table("air_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_air_log_seq", type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
