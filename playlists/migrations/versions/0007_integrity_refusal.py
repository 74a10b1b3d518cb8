"""PostgreSQL refuses changes to the as-run log as an integrity violation, as SQLite does.

Revision ID: 0007_integrity_refusal
Revises: 0006_on_air
Create Date: 2026-12-04 02:00:00

The trigger raised a plain exception (SQLSTATE P0001), which drivers report as an internal
error; SQLite's RAISE(ABORT) is a constraint failure. Callers (and the tests, now run on both)
catch one kind: the log may not change, which is an integrity violation (SQLSTATE 23000).
SQLite needs nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_integrity_refusal"
down_revision: str | Sequence[str] | None = "0006_on_air"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "air_log is append-only: rows are never changed or deleted"


def _function(errcode: str | None) -> str:
    using = f" USING ERRCODE = '{errcode}'" if errcode else ""
    return (
        "CREATE OR REPLACE FUNCTION air_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'{using}; END $$"
    )


def upgrade() -> None:
    """Raise the refusal as an integrity violation."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function("integrity_constraint_violation"))


def downgrade() -> None:
    """Raise it as a plain exception again."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(None))
