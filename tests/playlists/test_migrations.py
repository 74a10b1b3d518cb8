"""Migrations run on databases that already hold a station's data, not only on empty ones.

On SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from playlists.core.db import (
    MIGRATIONS_DIR,
    current_revision,
    ensure_migrated,
    head_revision,
    make_engine,
    migrate,
)

pytestmark = pytest.mark.databases()


def test_slot_rules_migration_keeps_existing_slots(empty_database: str) -> None:
    engine = make_engine(empty_database)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "64ecc0a34acb")  # the schema before slot rules
        connection.execute(
            text("INSERT INTO slots (name, start, duration_s, days) "
                 "VALUES ('Sáng', '05:30:00.000000', 1800, '1234567')")
        )  # fmt: skip
    migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT name, head_s, relay_s, tail_s, one_off, document FROM slots")
        ).one()
    assert tuple(row) == ("Sáng", 0, 0, 0, 0, "")
    assert inspect(engine).has_table("slot_cancellations")
    topics = engine.connect().execute(text("SELECT count(*) FROM topics")).scalar()
    assert topics == 10


def test_migrating_twice_changes_nothing(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM topics")).scalar() == 10


def test_the_head_read_from_the_files_is_alembics() -> None:
    """Commands skip Alembic when the database is current: they must agree on what current is."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_current_database_is_left_alone_and_an_old_one_is_migrated(
    empty_database: str,
) -> None:
    engine = make_engine(empty_database)
    assert current_revision(engine) is None
    ensure_migrated(engine)
    assert current_revision(engine) == head_revision()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "996ac84337f1")
    assert current_revision(engine) == "996ac84337f1"
    ensure_migrated(engine)
    assert current_revision(engine) == head_revision()


@pytest.mark.databases("postgresql")
def test_processes_starting_together_migrate_a_ward_once(empty_database: str) -> None:
    """After an upgrade, the station and each web worker reach a ward's schema at the same
    moment: one migrates it, the others find it done."""
    from concurrent.futures import ThreadPoolExecutor

    from playlists.core.db import for_ward

    migrate(make_engine(empty_database))  # the city's own tables, as the home ward has them
    engines = [for_ward(make_engine(empty_database), "phuong-a", "ward_phuong-a") for _ in range(3)]
    with ThreadPoolExecutor(len(engines)) as pool:
        list(pool.map(ensure_migrated, engines))  # each raises if its migration failed
    assert current_revision(engines[0]) == head_revision()
    tables = inspect(engines[0]).get_table_names(schema="ward_phuong-a")
    assert "emergencies" in tables and "users" not in tables
