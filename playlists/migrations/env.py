"""Alembic environment: runs on the connection handed over by `playlists.core.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from playlists import tables  # noqa: F401  (registers every table on Base.metadata)
from playlists.core.db import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run migrations on the given connection, or on `sqlalchemy.url` for autogenerate."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as own:
            _run_on(own)
    else:
        _run_on(connection)


def _run_on(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        # A ward's schema records its own migrations (the city's record is the home ward's).
        version_table_schema=config.attributes.get("ward_schema"),
    )
    with context.begin_transaction():
        context.run_migrations()


run()
