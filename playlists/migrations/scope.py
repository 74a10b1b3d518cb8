"""Which tables a migration run touches.

The home ward's run (the default schema, and SQLite) migrates every table: the city's (people,
the list of wards) and the home ward's own. A ward's run, in its own PostgreSQL schema,
migrates only the ward's tables; references to the city's tables (a bulletin's author) find
them through the search path (playlists/core/db.py), as every query does.
A migration that creates or alters a city table does it under `if city_tables_here():`.
"""

from __future__ import annotations

from alembic import context


def city_tables_here() -> bool:
    """Whether this run migrates the city's tables (not a ward's own schema)."""
    return not context.config.attributes.get("ward_schema")
