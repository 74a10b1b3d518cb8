"""The tests' own PostgreSQL: it starts, serves, copies databases, and can run twice at once."""

from __future__ import annotations

import psycopg
from sqlalchemy import text

from playlists.core.db import make_engine
from tests.postgres_server import PostgresServer, create_database, drop_database


def test_a_database_copied_from_a_template_has_its_tables_and_rows(postgres: str) -> None:
    template = create_database(postgres, "loa_probe_template")
    engine = make_engine(template)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (n integer)"))
        connection.execute(text("INSERT INTO probe VALUES (7)"))
    engine.dispose()
    try:
        copy = make_engine(
            create_database(postgres, "loa_probe_copy", template="loa_probe_template")
        )
        with copy.connect() as connection:
            assert connection.execute(text("SELECT n FROM probe")).scalar() == 7
        copy.dispose()
    finally:
        drop_database(postgres, "loa_probe_copy")
        drop_database(postgres, "loa_probe_template")
    with psycopg.connect(
        make_engine(postgres).url.set(drivername="postgresql").render_as_string(False)
    ) as admin:
        names = {r[0] for r in admin.execute("SELECT datname FROM pg_database").fetchall()}
    assert "loa_probe_copy" not in names and "loa_probe_template" not in names


def test_two_servers_run_side_by_side_and_stop() -> None:
    first, second = PostgresServer(), PostgresServer()
    try:
        first.start()
        second.start()
        assert first.port != second.port
        for server in (first, second):
            with psycopg.connect(server.conninfo("postgres")) as connection:
                assert connection.execute("SELECT 1").fetchone() == (1,)
        first.stop()
        with psycopg.connect(second.conninfo("postgres")) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,), "the other one lives on"
    finally:
        first.cleanup()
        second.cleanup()
    assert not first.workdir.exists() and not second.workdir.exists()
