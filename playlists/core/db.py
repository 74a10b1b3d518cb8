"""Database plumbing: engines, sessions, the column types every table shares, and migrations."""

from __future__ import annotations

import enum
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Enum,
    create_engine,
    event,
    inspect,
    make_url,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

# The PostgreSQL advisory lock held while a schema is migrated (any number: unlike the
# stations' locks, scheduler/lock.py, which take two keys).
MIGRATING = 0x4C4F414D  # "LOAM"
MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"

# The execution options that name a ward and its PostgreSQL schema (see `for_ward`).
SCHEMA_OPTION = "loa_schema"
WARD_OPTION = "loa_ward"
# The ward whose tables are in the default schema: the only one of a single-ward station.
HOME_WARD = "local"
# The city's own tables (people, wards) live in PostgreSQL's default schema.
CITY_SCHEMA = "public"


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and hand them back aware, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store instants as aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


def utcnow() -> datetime:
    """Return the current instant, aware, in UTC (the default of "when" columns)."""
    return datetime.now(UTC)


def enum_column(cls: type[enum.Enum]) -> Enum:
    """Return the column type of an enum, stored as its stable English code."""
    # The codes, not Python names, so that the database reads well by hand.
    return Enum(
        cls,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        validate_strings=True,
        length=16,
    )


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create an engine holding at most `pool_size` connections.

    SQLite gets WAL, foreign keys and a busy timeout. The web app and the station's own work
    (playout, the as-run writer, scheduled jobs) each get an engine of their own, so that no
    load on the pages can make the air wait for a connection.
    """
    # No overflow: a caller past the limit waits for a connection instead of opening more.
    pool: dict[str, int] = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": 60}
    if url.startswith("sqlite"):
        if make_url(url).database in (None, "", ":memory:"):
            pool = {}  # one in-memory database per connection: SQLAlchemy keeps just one
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **pool
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, **pool)

    @event.listens_for(engine, "begin")
    def _ward_first(connection: Connection) -> None:
        # SET LOCAL ends with the transaction: a pooled connection never carries a ward's
        # schema into the next transaction, whoever takes it.
        schema = connection.get_execution_options().get(SCHEMA_OPTION)
        if schema:
            connection.exec_driver_sql(
                f"SET LOCAL search_path TO {quoted_name(schema)}, {CITY_SCHEMA}"
            )

    return engine


def quoted_name(schema: str) -> str:
    """Quote a schema's name for SQL (names are checked when a ward is made; quoted anyway)."""
    return '"' + schema.replace('"', '""') + '"'


def for_ward(engine: Engine, code: str, schema: str | None) -> Engine:
    """Return `engine`, sharing its pool, working for one ward: its schema first.

    Every transaction on it looks for a table in the ward's schema, then in the city's: the
    ward's zones, plans and logs are its own, the people and the list of wards are shared.
    Nothing of another ward can be named by an unqualified query. The home ward has no schema
    of its own (its tables are in the default one, the only one on SQLite).
    """
    if code == HOME_WARD and not schema:
        return engine
    if schema and engine.dialect.name != "postgresql":
        raise ValueError("wards of their own need PostgreSQL")
    return engine.execution_options(**{WARD_OPTION: code, SCHEMA_OPTION: schema or None})


def schema_of(engine: Engine | Connection) -> str | None:
    """Return the ward schema `engine` works in, None for the home ward."""
    schema: str | None = engine.get_execution_options().get(SCHEMA_OPTION)
    return schema


def ward_of(session: Session) -> str:
    """Return the code of the ward a session works for (its roles, its people)."""
    return ward_code(session.get_bind())


def ward_code(engine: Engine | Connection) -> str:
    """Return the code of the ward an engine works for."""
    code: str = engine.get_execution_options().get(WARD_OPTION, HOME_WARD)
    return code


# scheme://user:PASSWORD@host…: the password runs to the last "@" (one typed with a raw "@"
# or "/" in it, not percent-encoded, must not show its tail); and ?password=… in the query.
_URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/:@]*:).*@")
_QUERY_PASSWORD = re.compile(r"(?i)(?P<key>[?&](?:password|passwd|pwd)=)[^&]*")


def shown_url(url: str) -> str:
    """Return a URL fit to print (a database's, an Icecast server's): its password masked."""
    url = _URL_PASSWORD.sub(r"\g<head>***@", url, count=1)
    return _QUERY_PASSWORD.sub(r"\g<key>***", url)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session for a job or command: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class CommitWatch:
    """Tell cheaply whether anyone committed to the database since the last look.

    On a SQLite file, `PRAGMA data_version` on a connection of its own: one call into SQLite,
    no transaction, and a different number once another connection (of this process or any
    other) has committed. What polls four times a second (the emergency desk, for requests
    written by `loa emergency` in another process) looks only when something changed: a
    hundred idle players on one machine were otherwise a core's worth of empty queries. On
    any other database it always answers yes.
    """

    def __init__(self, engine: Engine) -> None:
        self._conn: sqlite3.Connection | None = None
        self._seen: int | None = None
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database not in (None, "", ":memory:"):
            try:
                # Autocommit: the PRAGMA must not hold a read transaction open between looks.
                self._conn = sqlite3.connect(database, isolation_level=None)
            except sqlite3.Error as exc:  # it always says yes, then: a look at every poll
                log.warning("cannot watch %s for commits: %s", database, exc)

    def changed(self) -> bool:
        """Whether a commit happened since the last call (yes at the first, and on errors)."""
        if self._conn is None:
            return True
        try:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return True
        seen, self._seen = self._seen, version
        return version != seen

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a ward's own schema, for a ward's engine).

    A ward's schema gets the ward's tables only, and its own record of migrations; the city's
    tables are migrated with the home ward (playlists/migrations/scope.py).
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    schema = schema_of(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # After an upgrade the station and each web worker reach a ward at once: one
            # migrates, the others wait here and then find the schema at the newest revision.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATING})
        if schema:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted_name(schema)}")
        config.attributes["connection"] = connection
        config.attributes["ward_schema"] = schema
        command.upgrade(config, "head")


def is_migrated(engine: Engine) -> bool:
    """Tell whether the schema exists at all (a ward's own, for a ward's engine)."""
    return inspect(engine).has_table("alembic_version", schema=schema_of(engine))


_REVISION = re.compile(r'^revision(?:: str)? = "([^"]+)"', re.MULTILINE)
_DOWN = re.compile(r'^down_revision(?:: [^=]+)? = "([^"]+)"', re.MULTILINE)


@cache  # the migration files ship with the code: read once per process
def head_revision() -> str:
    """Return the newest migration's id, read from the migration files without Alembic.

    Alembic takes a good part of a second to import; a command that only reads data should
    not pay that when the database is already up to date.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if (found := _REVISION.search(text)) is not None:
            revisions.add(found.group(1))
        if (parent := _DOWN.search(text)) is not None:
            parents.add(parent.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have exactly one head, found {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """Return the database's migration id, or None when it has no schema yet."""
    if not is_migrated(engine):
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_migrated(engine: Engine) -> None:
    """Migrate the database unless it is already at the newest migration."""
    if current_revision(engine) != head_revision():
        migrate(engine)
